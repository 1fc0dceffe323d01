package scenarios

import (
	"fmt"
	"os"

	"github.com/memstorm/memstorm/units"
)

// The factor of --scale: a millionth to a million.
const (
	MinScale = 1e-6
	MaxScale = 1e6
)

// Scale multiplies every byte quantity a scenario targets or limits (byte
// targets, the cgroup limits and the rlimits) by f, leaving object sizes,
// counts and durations alone, so that a scenario keeps its shape at another
// size: the tests run the built-ins at a few tens of MiB, and a user can
// try a big one small first (memstorm run --scale 0.1). Each result is
// kept within 1 byte and MaxSize; CheckScale says whether f keeps the
// scenario valid.
func (s *Scenario) Scale(f float64) {
	_ = s.eachScaled(func(_ string, v *Size, _ Size) error {
		if *v > 0 {
			*v = Size(max(min(float64(*v)*f, float64(MaxSize)), 1))
		}
		return nil
	})
}

// CheckScale returns an error unless f is a finite factor from MinScale
// to MaxScale under which every quantity Scale multiplies keeps the bounds
// a scenario file must meet: at most MaxSize; a limit at least MinLimit,
// an rlimit at least MinRlimit, a byte target or swap at least a page (or
// what the file gave, when that is less). The error names the first
// quantity that would leave its bounds by its key path.
func (s *Scenario) CheckScale(f float64) error {
	if !(f >= MinScale && f <= MaxScale) {
		return fmt.Errorf("want a factor from %g to %g, got %v", MinScale, MaxScale, f)
	}
	return s.eachScaled(func(path string, v *Size, floor Size) error {
		if *v <= 0 {
			return nil
		}
		x := float64(*v) * f
		switch {
		case x > float64(MaxSize):
			return fmt.Errorf("%s: %s: %v × %g comes to %s, want at most %v", s.Path, path, *v, f, grownText(x), MaxSize)
		case Size(x) < floor:
			return fmt.Errorf("%s: %s: %v × %g comes to %s, want at least %v", s.Path, path, *v, f, units.FormatBytes(int64(x)), floor)
		}
		return nil
	})
}

// eachScaled calls fn with every byte quantity Scale multiplies, its key
// path and the least it may be scaled to, until fn returns an error.
func (s *Scenario) eachScaled(fn func(path string, v *Size, floor Size) error) error {
	page := Size(os.Getpagesize())
	var walk func(ps []Phase, path string) error
	walk = func(ps []Phase, path string) error {
		for i := range ps {
			p := fmt.Sprintf("%s[%d]", path, i)
			if a := ps[i].Allocate; a != nil {
				if err := fn(p+".allocate.until.bytes", &a.Until.Bytes, min(a.Until.Bytes, page)); err != nil {
					return err
				}
			}
			if err := walk(ps[i].Phases, p+".phases"); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(s.Phases, "phases"); err != nil {
		return err
	}
	if l := s.Limit; l != nil {
		if err := firstErr(fn("limit.max", &l.Max, MinLimit), fn("limit.high", &l.High, MinLimit),
			fn("limit.swap", &l.Swap, min(l.Swap, page))); err != nil {
			return err
		}
	}
	if r := s.Rlimits; r != nil {
		return firstErr(fn("rlimits.address_space", &r.AddressSpace, MinRlimit), fn("rlimits.data", &r.Data, MinRlimit))
	}
	return nil
}
