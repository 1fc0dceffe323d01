package scenarios

import (
	"math"
	"strings"
	"testing"
)

const scaleYAML = `name: s
limit: {max: 256MiB, high: 200MiB, swap: 64MiB}
rlimits: {address_space: 2GiB}
phases:
  - repeat: 2
    phases:
      - allocate: {size: 4KiB, until: {bytes: 64MiB}}
      - free: all
`

// TestCheckScale: a factor must be finite and in range, and no quantity it
// scales may leave the bounds a file must meet; the error names the key.
func TestCheckScale(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string // "" when accepted
	}{
		{1, ""},
		{0.5, ""},
		{0.0625, ""}, // limit 16MiB, high 12.5MiB, rlimit 128MiB, target 4MiB
		{1000, ""},   // 2000 GiB of address space
		{math.Inf(1), "want a factor from 1e-06 to 1e+06, got +Inf"},
		{math.NaN(), "want a factor from 1e-06 to 1e+06, got NaN"},
		{1e308, "want a factor from 1e-06 to 1e+06"},
		{1e-300, "want a factor from 1e-06 to 1e+06"},
		{0, "want a factor from 1e-06 to 1e+06"},
		{-1, "want a factor from 1e-06 to 1e+06"},
		{1e6, "s.yaml: rlimits.address_space: 2GiB × 1e+06 comes to 2.15e+15 bytes, want at most 1024TiB"},
		{0.01, "s.yaml: limit.max: 256MiB × 0.01 comes to 2.56 MiB, want at least 4MiB"},
		{0.018, "s.yaml: limit.high: 200MiB × 0.018 comes to 3.6 MiB, want at least 4MiB"},
		{0.00005, "s.yaml: phases[0].phases[0].allocate.until.bytes: 64MiB × 5e-05 comes to 3.28 KiB, want at least 4KiB"},
	} {
		sc := mustParse(t, scaleYAML)
		sc.Path = "s.yaml"
		err := sc.CheckScale(tc.f)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckScale(%v) = %v", tc.f, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckScale(%v) = %v, want an error containing %q", tc.f, err, tc.want)
		}
	}
}

// TestCheckScaleSmallTarget: a byte target may not be scaled below a
// page, nor below what the file gave when that is less.
func TestCheckScaleSmallTarget(t *testing.T) {
	sc := mustParse(t, "phases: [{allocate: {size: 64, until: {bytes: 100}}}]")
	if err := sc.CheckScale(2); err != nil {
		t.Errorf("CheckScale(2) = %v", err)
	}
	if err := sc.CheckScale(0.5); err == nil || !strings.Contains(err.Error(), "phases[0].allocate.until.bytes: 100B × 0.5 comes to 50 B, want at least 100B") {
		t.Errorf("CheckScale(0.5) = %v", err)
	}
}

// TestScaleStaysInBounds: Scale multiplies targets and limits, keeps
// object sizes and a target the file gave below a page, and never turns a
// huge product into a small one.
func TestScaleStaysInBounds(t *testing.T) {
	sc := mustParse(t, scaleYAML)
	sc.Scale(0.5)
	if got := sc.Phases[0].Phases[0].Allocate.Until.Bytes; got != 32<<20 {
		t.Errorf("target %v, want 32MiB", got)
	}
	if l := sc.Limit; l.Max != 128<<20 || l.High != 100<<20 || l.Swap != 32<<20 || sc.Rlimits.AddressSpace != 1<<30 {
		t.Errorf("limits %+v %+v, want halved", *l, *sc.Rlimits)
	}
	if got := sc.Phases[0].Phases[0].Allocate.Size.Value; got != 4096 {
		t.Errorf("object size %v, want 4KiB unscaled", got)
	}
	sc = mustParse(t, scaleYAML)
	sc.Scale(1e300) // unchecked: saturates instead of wrapping to 1 byte
	if got := sc.Limit.Max; got != MaxSize {
		t.Errorf("limit after an absurd factor %v, want MaxSize", got)
	}
}
