package scenarios

import (
	"reflect"
	"strings"
	"testing"
)

// TestLimitInherit: max: inherit decodes, survives YAML() and Parse again,
// leaves the size checks of max alone, and a misspelling is an error at
// its line naming both forms.
func TestLimitInherit(t *testing.T) {
	const text = `name: c
limit:
  max: inherit
  high: 64MiB
phases:
  - allocate: {size: 4KiB, until: oom}
`
	sc, err := Parse("c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if l := sc.Limit; l == nil || !l.Inherit || l.Max != 0 || l.High != 64<<20 {
		t.Fatalf("limit %+v, want inherit with high 64MiB", sc.Limit)
	}
	out, err := sc.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "max: inherit") {
		t.Errorf("YAML() lost the inherit:\n%s", out)
	}
	back, err := Parse("back.yaml", out)
	if err != nil {
		t.Fatalf("parsing YAML() again: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(*back.Limit, *sc.Limit) {
		t.Errorf("round trip: %+v, want %+v", *back.Limit, *sc.Limit)
	}
	sized, err := Parse("s.yaml", []byte(strings.Replace(text, "max: inherit", "max: 128MiB", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if sized.Limit.Inherit || sized.Limit.Max != 128<<20 {
		t.Errorf("max: 128MiB read as %+v", *sized.Limit)
	}
	_, err = Parse("typo.yaml", []byte(strings.Replace(text, "max: inherit", "max: inherits", 1)))
	if err == nil || !strings.Contains(err.Error(), "typo.yaml:3:8: limit.max:") || !strings.Contains(err.Error(), "or inherit") {
		t.Errorf("max: inherits: %v, want an error at 3:8 naming sizes and inherit", err)
	}
	_, err = Parse("small.yaml", []byte(strings.Replace(text, "max: inherit", "max: 1MiB", 1)))
	if err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("max: 1MiB: %v, want the MinLimit error", err)
	}
}
