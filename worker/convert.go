package worker

import (
	"fmt"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/scenarios"
)

// The scenario speaks in names; the allocation engine in enums. These
// conversions are the one place the two meet.

var viaNames = map[scenarios.Via]alloc.Via{
	scenarios.ViaMalloc: alloc.Malloc, scenarios.ViaCalloc: alloc.Calloc, scenarios.ViaRealloc: alloc.Realloc,
	scenarios.ViaPosixMemalign: alloc.PosixMemalign, scenarios.ViaMmap: alloc.Mmap, scenarios.ViaGo: alloc.Go,
}

var distNames = map[scenarios.Dist]alloc.DistKind{
	scenarios.DistFixed: alloc.Fixed, scenarios.DistUniform: alloc.Uniform, scenarios.DistLognormal: alloc.Lognormal,
	scenarios.DistPareto: alloc.Pareto, scenarios.DistHistogram: alloc.Histogram,
}

var patternNames = map[scenarios.Pattern]alloc.Pattern{
	scenarios.PatternAll: alloc.All, scenarios.PatternEveryOther: alloc.EveryNth, scenarios.PatternEveryNth: alloc.EveryNth,
	scenarios.PatternKeepOnePerPage: alloc.KeepOnePerPage, scenarios.PatternRandom: alloc.Random,
	scenarios.PatternOldest: alloc.Oldest, scenarios.PatternNewest: alloc.Newest,
	scenarios.PatternLargerThan: alloc.LargerThan, scenarios.PatternSmallerThan: alloc.SmallerThan,
}

var adviceNames = map[scenarios.Advice]alloc.Advice{
	scenarios.AdviceDontneed: alloc.AdviceDontneed, scenarios.AdviceFree: alloc.AdviceFree,
	scenarios.AdviceCold: alloc.AdviceCold, scenarios.AdvicePageout: alloc.AdvicePageout,
}

func toFillSpec(a *scenarios.Allocate) (alloc.FillSpec, error) {
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

func toSelection(s scenarios.Selection, scenarioSeed uint64) alloc.Selection {
	sel := alloc.Selection{Pattern: patternNames[s.Pattern], N: int64(s.N), Fraction: s.Fraction,
		Seed: s.Seed, Size: int64(s.Size)}
	if s.Pattern == scenarios.PatternEveryOther {
		sel.N = 2
	}
	if sel.Seed == 0 {
		sel.Seed = scenarioSeed
	}
	return sel
}

func toAdvice(a scenarios.Advice) (alloc.Advice, error) {
	adv, ok := adviceNames[a]
	if !ok {
		return 0, fmt.Errorf("unknown madvise advice %q", a)
	}
	return adv, nil
}
