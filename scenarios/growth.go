package scenarios

import (
	"fmt"
	"math"
	"strconv"
)

// Growing sizes over repetitions (size_growth on a group). A grow/free
// cycle that asks for the same sizes every time refills the holes the
// previous cycle left, so RSS only grows by what stays live. When each
// cycle asks for bigger objects, a hole left by a smaller size class (or a
// glibc free chunk too small for the new request) serves nothing, and every
// cycle's freed-but-pinned pages stay: RSS ratchets up.

// MaxGrownSize is the largest object a size_growth may scale a size to.
const MaxGrownSize = Size(1 << 30)

// repeatScale is the factor a group's size_growth gives its repetition r
// (from 0).
func repeatScale(g *Phase, r int) float64 {
	if g.SizeGrowth <= 0 {
		return 1
	}
	return math.Pow(g.SizeGrowth, float64(r))
}

// scaleSize multiplies a size by f, rounding, and keeps it at least 1.
func scaleSize(v Size, f float64) Size {
	if v <= 0 {
		return v
	}
	return max(Size(math.Round(float64(v)*f)), 1)
}

// scaledAllocate returns a with its size distribution scaled by f; a itself
// when f is 1.
func scaledAllocate(a *Allocate, f float64) *Allocate {
	if f == 1 || f == 0 {
		return a
	}
	c := *a
	d := a.Size
	d.Value, d.Min, d.Max, d.Median = scaleSize(d.Value, f), scaleSize(d.Min, f), scaleSize(d.Max, f), scaleSize(d.Median, f)
	d.Buckets = make([]Bucket, len(a.Size.Buckets))
	for i, b := range a.Size.Buckets {
		d.Buckets[i] = Bucket{Size: scaleSize(b.Size, f), Weight: b.Weight}
	}
	c.Size = d
	return &c
}

// growth checks size_growth keys after the phases are valid: only on a
// group, a factor in (0, 16], and no repetition may scale an object past
// MaxGrownSize. scale is the largest factor the enclosing groups reach.
func (c *checker) growth(ps []Phase, path string, scale float64) error {
	for i := range ps {
		ph := &ps[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		gp := childPath(p, "size_growth")
		if c.has(gp) {
			if ph.Phases == nil {
				return c.errKey(gp, "size_growth applies to a group (a phase with phases), not to a single step")
			}
			if !(ph.SizeGrowth > 0 && ph.SizeGrowth <= 16) {
				return c.errf(gp, "want a factor above 0 and at most 16, got %v", ph.SizeGrowth)
			}
		}
		if ph.Phases != nil {
			g := max(repeatScale(ph, 0), repeatScale(ph, max(ph.Repeat, 1)-1))
			if err := c.growth(ph.Phases, childPath(p, "phases"), scale*g); err != nil {
				return err
			}
			continue
		}
		if ph.Allocate == nil || scale == 1 {
			continue
		}
		// In floating point: 16^15 times a size overflows int64, and a
		// Size converted from it would come out small.
		if _, hi := distRange(ph.Allocate.Size); !(math.Round(float64(hi)*scale) <= float64(MaxGrownSize)) {
			return c.errf(childPath(p, "allocate.size"), "size_growth of the groups around it scales this size to %s at their last repetition, want at most %v", grownText(float64(hi)*scale), MaxGrownSize)
		}
	}
	return nil
}

// grownText prints a grown size, which may be past int64.
func grownText(v float64) string {
	if v < float64(MaxSize) {
		return Size(math.Round(v)).String()
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " bytes"
}

// ScaledAllocate is the step's allocate phase with its sizes grown by the
// size_growth of the groups around it (the phase itself when they grow
// nothing); nil for a step that does not allocate.
func (st Step) ScaledAllocate() *Allocate {
	if st.Phase == nil || st.Phase.Allocate == nil {
		return nil
	}
	return scaledAllocate(st.Phase.Allocate, st.SizeScale)
}
