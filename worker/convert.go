package worker

import (
	"fmt"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/scenarios"
)

// The scenario speaks in names; the allocation engine in enums. These
// tables are the one place the two meet: one per enum, each holding every
// value of the scenarios table of the same name (convert_test.go checks
// both ways, and that the engine's String() spells each value as the
// scenario does).

// vias maps scenarios.ViaValues to the engine's backends.
var vias = map[scenarios.Via]alloc.Via{
	scenarios.ViaMalloc:        alloc.Malloc,
	scenarios.ViaCalloc:        alloc.Calloc,
	scenarios.ViaRealloc:       alloc.Realloc,
	scenarios.ViaPosixMemalign: alloc.PosixMemalign,
	scenarios.ViaMmap:          alloc.Mmap,
	scenarios.ViaGo:            alloc.Go,
	scenarios.ViaFile:          alloc.File,
	scenarios.ViaTmpfs:         alloc.Tmpfs,
	scenarios.ViaMemfd:         alloc.Memfd,
	scenarios.ViaShm:           alloc.Shm,
}

// dists maps scenarios.DistValues to the engine's distributions.
var dists = map[scenarios.Dist]alloc.DistKind{
	scenarios.DistFixed:     alloc.Fixed,
	scenarios.DistUniform:   alloc.Uniform,
	scenarios.DistLognormal: alloc.Lognormal,
	scenarios.DistPareto:    alloc.Pareto,
	scenarios.DistHistogram: alloc.Histogram,
}

// enginePattern is an engine pattern, with its n fixed for the scenario
// patterns that are a shorthand of one with a parameter.
type enginePattern struct {
	pattern alloc.Pattern
	n       int64 // 0: the scenario's n
}

// patterns maps scenarios.PatternValues to the engine's patterns.
var patterns = map[scenarios.Pattern]enginePattern{
	scenarios.PatternAll:            {alloc.All, 0},
	scenarios.PatternEveryOther:     {alloc.EveryNth, 2},
	scenarios.PatternEveryNth:       {alloc.EveryNth, 0},
	scenarios.PatternKeepOnePerPage: {alloc.KeepOnePerPage, 0},
	scenarios.PatternRandom:         {alloc.Random, 0},
	scenarios.PatternOldest:         {alloc.Oldest, 0},
	scenarios.PatternNewest:         {alloc.Newest, 0},
	scenarios.PatternLargerThan:     {alloc.LargerThan, 0},
	scenarios.PatternSmallerThan:    {alloc.SmallerThan, 0},
}

// advices maps scenarios.AdviceValues to madvise(2) advices.
var advices = map[scenarios.Advice]alloc.Advice{
	scenarios.AdviceDontneed: alloc.AdviceDontneed,
	scenarios.AdviceFree:     alloc.AdviceFree,
	scenarios.AdviceCold:     alloc.AdviceCold,
	scenarios.AdvicePageout:  alloc.AdvicePageout,
}

// FillSpec is the engine's fill of a scenario's allocate phase.
func FillSpec(a *scenarios.Allocate) (alloc.FillSpec, error) {
	via, ok := vias[a.Via]
	if !ok {
		return alloc.FillSpec{}, fmt.Errorf("unknown via %q", a.Via)
	}
	kind, ok := dists[a.Size.Dist]
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
	spec := alloc.FillSpec{Via: via, Align: int64(a.Align), Dist: d, Touch: touch, Lock: a.Lock}
	if spec.Populate, ok = populates[a.Populate]; !ok {
		return alloc.FillSpec{}, fmt.Errorf("unknown populate %q", a.Populate)
	}
	if spec.Huge, ok = huges[a.Huge]; !ok {
		return alloc.FillSpec{}, fmt.Errorf("unknown huge %q", a.Huge)
	}
	return spec, nil
}

// populates and huges map scenarios.PopulateValues and HugeValues ("" for
// the key left out) to the engine's.
var (
	populates = map[scenarios.Populate]alloc.Populate{"": alloc.PopulateNone,
		scenarios.PopulateWrite: alloc.PopulateWrite, scenarios.PopulateMap: alloc.PopulateMap}
	huges = map[scenarios.Huge]alloc.Huge{"": alloc.HugeDefault,
		scenarios.HugeTHP: alloc.HugeTHP, scenarios.HugeNoTHP: alloc.HugeNoTHP,
		scenarios.Huge2MiB: alloc.HugeTLB2M, scenarios.Huge1GiB: alloc.HugeTLB1G}
)

// Selection is the engine's selection of a scenario's free or madvise
// pattern; scenarioSeed seeds a random pattern that names no seed.
func Selection(s scenarios.Selection, scenarioSeed uint64) (alloc.Selection, error) {
	p, ok := patterns[s.Pattern]
	if !ok {
		return alloc.Selection{}, fmt.Errorf("unknown pattern %q", s.Pattern)
	}
	sel := alloc.Selection{Pattern: p.pattern, N: int64(s.N), Fraction: s.Fraction,
		Seed: s.Seed, Size: int64(s.Size)}
	if p.n != 0 {
		sel.N = p.n
	}
	if sel.Seed == 0 {
		sel.Seed = scenarioSeed
	}
	return sel, nil
}

func toAdvice(a scenarios.Advice) (alloc.Advice, error) {
	adv, ok := advices[a]
	if !ok {
		return 0, fmt.Errorf("unknown madvise advice %q", a)
	}
	return adv, nil
}
