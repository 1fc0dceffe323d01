package stress

import (
	"fmt"

	"github.com/memstorm/memstorm/alloc"
)

// The scenario speaks in names; the allocation engine in enums. These
// conversions are the one place the two meet.

var viaNames = map[Via]alloc.Via{
	ViaMalloc: alloc.Malloc, ViaCalloc: alloc.Calloc, ViaRealloc: alloc.Realloc,
	ViaPosixMemalign: alloc.PosixMemalign, ViaMmap: alloc.Mmap, ViaGo: alloc.Go,
}

var distNames = map[Dist]alloc.DistKind{
	DistFixed: alloc.Fixed, DistUniform: alloc.Uniform, DistLognormal: alloc.Lognormal,
	DistPareto: alloc.Pareto, DistHistogram: alloc.Histogram,
}

var patternNames = map[Pattern]alloc.Pattern{
	PatternAll: alloc.All, PatternEveryOther: alloc.EveryNth, PatternEveryNth: alloc.EveryNth,
	PatternKeepOnePerPage: alloc.KeepOnePerPage, PatternRandom: alloc.Random,
	PatternOldest: alloc.Oldest, PatternNewest: alloc.Newest,
	PatternLargerThan: alloc.LargerThan, PatternSmallerThan: alloc.SmallerThan,
}

var adviceNames = map[Advice]alloc.Advice{
	AdviceDontneed: alloc.AdviceDontneed, AdviceFree: alloc.AdviceFree,
	AdviceCold: alloc.AdviceCold, AdvicePageout: alloc.AdvicePageout,
}

func toFillSpec(a *Allocate) (alloc.FillSpec, error) {
	via, ok := viaNames[a.Via]
	if !ok {
		return alloc.FillSpec{}, fmt.Errorf("unknown via %q", a.Via)
	}
	kind, ok := distNames[a.Size.Dist]
	if !ok {
		return alloc.FillSpec{}, fmt.Errorf("unknown size distribution %q", a.Size.Dist)
	}
	d := alloc.Dist{Kind: kind, Value: int64(a.Size.Value), Min: int64(a.Size.Min), Max: int64(a.Size.Max),
		Median: int64(a.Size.Median), Sigma: a.Size.Sigma, Alpha: a.Size.Alpha}
	for _, b := range a.Size.Buckets {
		d.Sizes = append(d.Sizes, int64(b.Size))
		d.Weights = append(d.Weights, b.Weight)
	}
	touch := a.Touch == nil || *a.Touch
	return alloc.FillSpec{Via: via, Align: int64(a.Align), Dist: d, Touch: touch}, nil
}

func toSelection(s Selection, scenarioSeed uint64) alloc.Selection {
	sel := alloc.Selection{Pattern: patternNames[s.Pattern], N: int64(s.N), Fraction: s.Fraction,
		Seed: s.Seed, Size: int64(s.Size)}
	if s.Pattern == PatternEveryOther {
		sel.N = 2
	}
	if sel.Seed == 0 {
		sel.Seed = scenarioSeed
	}
	return sel
}

func toAdvice(a Advice) (alloc.Advice, error) {
	adv, ok := adviceNames[a]
	if !ok {
		return 0, fmt.Errorf("unknown madvise advice %q", a)
	}
	return adv, nil
}
