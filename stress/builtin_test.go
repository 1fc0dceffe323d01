package stress

import (
	"testing"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
)

// builtinScale runs each built-in at about 32 MiB instead of its documented
// 256 MiB: the same shape, a tenth of the time and memory. Scenarios that
// need a memory cgroup are marked.
var builtinScale = map[string]struct {
	scale float64
	memcg bool
}{
	"eat-and-return":            {0.125, false},
	"every-other":               {0.125, false},
	"keep-one-per-page":         {0.125, false},
	"top-chunk-pin":             {0.125, false},
	"sawtooth":                  {0.25, false},
	"mmap-direct":               {0.125, false},
	"oom-at-limit":              {0.125, true},
	"oom-partial-kill":          {0.25, true},
	"fill-to-limit-then-free":   {0.25, true},
	"eat-until-enomem":          {0.125, false},
	"mesh-fragmenter":           {0.25, false},
	"mmap-threshold-creep":      {0.25, false},
	"mmap-threshold-fixed":      {0.25, false},
	"thread-arenas":             {0.25, false},
	"thread-arenas-max2":        {0.25, false},
	"jemalloc-decay":            {0.25, false},
	"jemalloc-decay-background": {0.25, false},
	"madv-free-lazy":            {0.25, true},
	"ratchet":                   {0.5, false},
	"thread-exit-arenas":        {0.25, false},
	"hold-asleep":               {0.25, true},
	"slow-leak":                 {0.25, true},
	"burst-to-90":               {0.25, true},
	"oom-group-kill":            {0.25, true},
	"page-cache-reclaim":        {0.125, true},
	"tmpfs-to-oom":              {0.125, true},
	"memfd-to-oom":              {0.125, true},
	"shm-to-oom":                {0.125, true},
	"high-throttle":             {0.25, true},
	"swap-spill":                {0.25, true},
}

// shapeAllocators are the allocators a built-in's shape is checked under:
// those its expect: block is scoped to, else those it runs under, else glibc.
func shapeAllocators(sc *scenarios.Scenario) []string {
	switch {
	case sc.Expect != nil && len(sc.Expect.Allocators) > 0:
		return sc.Expect.Allocators
	case len(sc.Allocators) > 0:
		return sc.Allocators
	}
	return []string{allocators.Glibc}
}

// TestBuiltinShapes runs every built-in scenario small and holds it to the
// shape its description promises: the scenario's own expect: block states
// that shape in numbers, and the run must pass it, under every allocator
// the shape is stated for.
func TestBuiltinShapes(t *testing.T) {
	for _, name := range scenarios.Names() {
		cfg, ok := builtinScale[name]
		if !ok {
			t.Errorf("built-in %s has no entry in builtinScale: give it a test size", name)
			continue
		}
		sc := loadScaled(t, name, cfg.scale)
		if sc.Expect == nil {
			t.Errorf("built-in %s has no expect: block: its documented shape is not checked", name)
			continue
		}
		for _, a := range shapeAllocators(sc) {
			t.Run(name+"/"+a, func(t *testing.T) {
				if cfg.memcg {
					requireMemcg(t)
				}
				testenv.RequireAllocator(t, a)
				requireFileDirs(t, sc)
				sum := runScenario(t, sc, Options{Allocator: a})
				checkShape(t, sum)
			})
		}
	}
}

// checkShape fails the test when the run failed or an expectation did not hold.
func checkShape(t *testing.T, sum *rundir.Summary) {
	t.Helper()
	logExpectations(t, sum)
	if sum.Outcome == rundir.OutcomeFailed {
		t.Fatalf("run failed: %s", sum.Reason)
	}
	for _, e := range sum.Expectations {
		if !e.Passed {
			t.Errorf("expectation failed: %s (observed %s)", e.Expr, e.Observed)
		}
	}
}
