package stress

import (
	"testing"

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
}

// TestBuiltinShapes runs every built-in scenario small and holds it to the
// shape its description promises: the scenario's own expect: block states
// that shape in numbers, and the run must pass it.
func TestBuiltinShapes(t *testing.T) {
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			cfg, ok := builtinScale[name]
			if !ok {
				t.Fatalf("built-in %s has no entry in builtinScale: give it a test size", name)
			}
			if cfg.memcg {
				requireMemcg(t)
			}
			sc := loadScaled(t, name, cfg.scale)
			if sc.Expect == nil {
				t.Fatalf("built-in %s has no expect: block: its documented shape is not checked", name)
			}
			sum := runScenario(t, sc, Options{})
			logExpectations(t, sum)
			if sum.Outcome == rundir.OutcomeFailed {
				t.Fatalf("run failed: %s", sum.Reason)
			}
			for _, e := range sum.Expectations {
				if !e.Passed {
					t.Errorf("expectation failed: %s (observed %s)", e.Expr, e.Observed)
				}
			}
		})
	}
}
