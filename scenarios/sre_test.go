package scenarios

import (
	"slices"
	"testing"
)

// TestSREChecksAreBuiltins: every name of the group is a built-in with a
// limit of its own, so that a fleet runs it without flags.
func TestSREChecksAreBuiltins(t *testing.T) {
	for _, n := range sreChecks {
		if !slices.Contains(Names(), n) {
			t.Errorf("SRE check %q is not a built-in", n)
			continue
		}
		sc, err := Load(n)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Limit == nil || sc.Limit.Max == 0 || sc.Expect == nil {
			t.Errorf("SRE check %s has no limit.max or no expect: block", n)
		}
	}
}
