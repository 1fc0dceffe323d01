package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The checks of an allocate phase (backend, alignment, size distribution,
// stop condition) and of a selection pattern.

// allocate checks an allocate step and fills its defaults.
func (c *checker) allocate(a *Allocate, p string) error {
	vp := childPath(p, "via")
	if !c.has(vp) {
		a.Via = DefaultVia
	}
	if !ViaValues.Has(a.Via) {
		return c.errf(vp, "want via %s, got %q", ViaValues.Want(), a.Via)
	}
	ap := childPath(p, "align")
	switch {
	case c.has(ap) && a.Via != ViaPosixMemalign:
		return c.errf(ap, "align applies only to via: posix_memalign, not %s", a.Via)
	case !c.has(ap) && a.Via == ViaPosixMemalign:
		a.Align = DefaultAlign
	case c.has(ap) && (a.Align < 8 || a.Align&(a.Align-1) != 0 || a.Align > 1<<30):
		return c.errf(ap, "want a power of two from 8 to 1GiB, got %v", a.Align)
	}
	if err := c.pages(a, p); err != nil {
		return err
	}
	if tp := childPath(p, "touch"); c.has(tp) && a.Touch != nil && !*a.Touch && (a.Via == ViaFile || a.Via == ViaTmpfs) {
		return c.errf(tp, "via: %s writes every byte of its objects: touch: false does not apply", a.Via)
	}
	if a.Touch == nil {
		t := true
		a.Touch = &t
	}
	sp := childPath(p, "size")
	if !c.has(sp) {
		return c.errf(sp, "required: want a size like 4KiB or a distribution")
	}
	if err := c.dist(&a.Size, sp); err != nil {
		return err
	}
	return c.until(&a.Until, childPath(p, "until"))
}

// distKeys lists, per distribution, the keys it reads (a test holds its
// distributions to DistValues).
var distKeys = map[Dist][]string{
	DistFixed:     {"value"},
	DistUniform:   {"min", "max"},
	DistLognormal: {"median", "sigma", "min", "max"},
	DistPareto:    {"min", "alpha", "max"},
	DistHistogram: {"buckets"},
}

// dist checks a size distribution.
func (c *checker) dist(d *SizeDist, p string) error {
	dp := childPath(p, "dist")
	if !DistValues.Has(d.Dist) {
		return c.enum(dp, string(d.Dist), "dist "+DistValues.Want()+" (or a plain size for a fixed one)")
	}
	keys := distKeys[d.Dist]
	for _, k := range []string{"value", "min", "max", "median", "sigma", "alpha", "buckets"} {
		kp := childPath(p, k)
		used := strings.Contains(" "+strings.Join(keys, " ")+" ", " "+k+" ")
		if c.has(kp) && !used {
			return c.errKey(kp, "%s is not used by dist %s (it reads %s)", k, d.Dist, strings.Join(keys, ", "))
		}
	}
	positive := func(k string, v Size) error {
		if !c.has(childPath(p, k)) && !(k == "min" && d.Dist == DistLognormal) {
			return c.errf(childPath(p, k), "required by dist %s", d.Dist)
		}
		if v <= 0 {
			return c.errf(childPath(p, k), "want a positive size, got %v", v)
		}
		return nil
	}
	positiveF := func(k string, v float64) error {
		if !c.has(childPath(p, k)) {
			return c.errf(childPath(p, k), "required by dist %s", d.Dist)
		}
		if !(v > 0) || math.IsInf(v, 0) {
			return c.errf(childPath(p, k), "want a positive number, got %v", v)
		}
		return nil
	}
	var err error
	switch d.Dist {
	case DistFixed:
		err = positive("value", d.Value)
	case DistUniform:
		err = firstErr(positive("min", d.Min), positive("max", d.Max))
	case DistLognormal:
		if !c.has(childPath(p, "min")) {
			d.Min = 1
		}
		err = firstErr(positive("median", d.Median), positiveF("sigma", d.Sigma),
			positive("min", d.Min), positive("max", d.Max))
		if err == nil && (d.Median < d.Min || d.Median > d.Max) {
			err = c.errf(childPath(p, "median"), "want min <= median <= max (%v..%v), got %v", d.Min, d.Max, d.Median)
		}
	case DistPareto:
		err = firstErr(positive("min", d.Min), positiveF("alpha", d.Alpha), positive("max", d.Max))
	case DistHistogram:
		if len(d.Buckets) == 0 {
			return c.errf(childPath(p, "buckets"), "want at least one bucket of size and weight")
		}
		for i, b := range d.Buckets {
			wp := fmt.Sprintf("buckets[%d].weight", i)
			if err := firstErr(positive(fmt.Sprintf("buckets[%d].size", i), b.Size), positiveF(wp, b.Weight)); err != nil {
				return err
			}
			if b.Weight > maxWeight {
				return c.errf(childPath(p, wp), "want a weight of at most %g (weights are relative), got %v", maxWeight, b.Weight)
			}
		}
	}
	if err != nil {
		return err
	}
	if (d.Dist == DistUniform || d.Dist == DistPareto) && d.Min > d.Max {
		return c.errf(childPath(p, "min"), "want min <= max (%v), got %v", d.Max, d.Min)
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// until checks an allocate step's stop condition.
func (c *checker) until(u *Until, p string) error {
	if !c.has(p) {
		return c.errf(p, "required: want %s", untilWant())
	}
	if c.has(childPath(p, "bytes")) && u.Bytes <= 0 {
		return c.errf(childPath(p, "bytes"), "want a positive size, got %v", u.Bytes)
	}
	if c.has(childPath(p, "count")) && (u.Count < 1 || u.Count > MaxCount) {
		return c.errf(childPath(p, "count"), "want a count from 1 to %d, got %d", int64(MaxCount), u.Count)
	}
	if c.has(childPath(p, "limit")) && (u.Limit <= 0 || u.Limit > 100) {
		return c.errf(childPath(p, "limit"), "want a share of the limit above 0%% and at most 100%%, got %v", u.Limit)
	}
	if u.Bytes == 0 && u.Count == 0 && u.Duration == 0 && u.Limit == 0 && !u.OOM && !u.ENOMEM {
		conds := untilKeys.Names()
		for i, k := range conds {
			if slices.Contains(untilShorthands, k) {
				conds[i] = k + ": true"
			}
		}
		return c.errf(p, "want at least one condition: %s", orList(conds))
	}
	return nil
}

// untilWant says what an until may be: "oom, enomem or a mapping of bytes,
// count, ...".
func untilWant() string {
	return orList(append(slices.Clone(untilShorthands), "a mapping of "+strings.Join(untilKeys.Names(), ", ")))
}

// patternKeys lists, per pattern, the keys besides pattern that it reads
// and which of them it requires (a test holds its patterns to
// PatternValues).
var patternKeys = map[Pattern]struct{ reads, needs string }{
	PatternAll:            {},
	PatternEveryOther:     {},
	PatternKeepOnePerPage: {},
	PatternEveryNth:       {"n", "n"},
	PatternRandom:         {"fraction seed", "fraction"},
	PatternOldest:         {"fraction", "fraction"},
	PatternNewest:         {"fraction", "fraction"},
	PatternLargerThan:     {"size", "size"},
	PatternSmallerThan:    {"size", "size"},
}

// selection checks a free or madvise selection.
func (c *checker) selection(s *Selection, p string) error {
	pp := childPath(p, "pattern")
	if !PatternValues.Has(s.Pattern) {
		return c.enum(pp, string(s.Pattern), "pattern "+PatternValues.Want())
	}
	keys := patternKeys[s.Pattern]
	for _, k := range []string{"n", "fraction", "seed", "size"} {
		kp := childPath(p, k)
		reads := strings.Contains(" "+keys.reads+" ", " "+k+" ")
		if c.has(kp) && !reads {
			return c.errKey(kp, "%s is not used by pattern %s", k, s.Pattern)
		}
		if !c.has(kp) && keys.needs == k {
			return c.errf(kp, "required by pattern %s", s.Pattern)
		}
	}
	switch {
	case c.has(childPath(p, "n")) && s.N < 2:
		return c.errf(childPath(p, "n"), "want n of at least 2 (n: 1 would select everything, use all), got %d", s.N)
	case c.has(childPath(p, "fraction")) && !(s.Fraction > 0 && s.Fraction <= 1):
		return c.errf(childPath(p, "fraction"), "want a fraction above 0 and at most 1, got %v", s.Fraction)
	case c.has(childPath(p, "seed")) && s.Seed == 0:
		return c.errf(childPath(p, "seed"), "want a seed of at least 1 (leave it out to derive one from the scenario seed), got 0")
	case c.has(childPath(p, "size")) && s.Size <= 0:
		return c.errf(childPath(p, "size"), "want a positive size, got %v", s.Size)
	}
	return nil
}
