package stress

import (
	"os"
	"testing"

	"github.com/memstorm/memstorm/report"
)

// labAllocators are the allocators the lab's shapes are measured under.
var labAllocators = []string{"glibc", "jemalloc", "tcmalloc", "mimalloc"}

// requireAllocator skips (or fails in CI) when an allocator's library is
// missing.
func requireAllocator(t *testing.T, name string) {
	t.Helper()
	if _, err := preloadFor(name); err != nil {
		if inCI() {
			t.Fatalf("%v, and MEMSTORM_CI=1 demands it", err)
		}
		t.Skip(err)
	}
}

// runLab runs built-in name at scale f under allocator a, with env added to
// the scenario's, and returns its summary after checking that the worker
// really ran a and the run did not fail.
func runLab(t *testing.T, name string, f float64, a string, env map[string]string) *report.Summary {
	t.Helper()
	requireAllocator(t, a)
	sc := loadScaled(t, name, f)
	for k, v := range env {
		if sc.Env == nil {
			sc.Env = map[string]string{}
		}
		sc.Env[k] = v
	}
	sum := runScenario(t, sc, Options{Allocator: a})
	logExpectations(t, sum)
	if sum.Outcome == report.OutcomeFailed {
		t.Fatalf("run failed: %s", sum.Reason)
	}
	if sum.Allocator.Name != a {
		t.Fatalf("the worker ran %s, want %s", sum.Allocator.Name, a)
	}
	return sum
}

// phase returns the summary of a step by its exact name.
func phase(t *testing.T, s *report.Summary, name string) report.PhaseSummary {
	t.Helper()
	if p := findExact(s.Phases, name); p != nil {
		return *p
	}
	t.Fatalf("step %s did not run", name)
	return report.PhaseSummary{}
}

func ratio(a, b int64) float64 { return float64(a) / float64(b) }

func TestLabMeasure(t *testing.T) {
	name := os.Getenv("LAB")
	if name == "" {
		t.Skip("set LAB=scenario to measure")
	}
	for _, a := range labAllocators {
		t.Run(a, func(t *testing.T) { runLab(t, name, 0.25, a, nil) })
	}
}
