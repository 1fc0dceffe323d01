package stress

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
)

// labAllocators are the allocators the lab's shapes are measured under.
var labAllocators = []string{"glibc", "jemalloc", "tcmalloc", "mimalloc"}

// requireAllocator skips (or fails in CI) when an allocator's library is
// missing.
func requireAllocator(t *testing.T, name string) {
	t.Helper()
	testenv.RequireAllocator(t, name)
}

// runLab runs built-in name at scale f under allocator a, with env added to
// the scenario's, and returns its summary after checking that the worker
// really ran a and the run did not fail.
func runLab(t *testing.T, name string, f float64, a string, env map[string]string) *rundir.Summary {
	t.Helper()
	requireAllocator(t, a)
	sc := loadScaled(t, name, f)
	for k, v := range env {
		if sc.Env == nil {
			sc.Env = map[string]string{}
		}
		sc.Env[k] = v
	}
	return runLabScenario(t, sc, a)
}

// runLabScenario runs sc under allocator a and checks as runLab does.
func runLabScenario(t *testing.T, sc *scenarios.Scenario, a string) *rundir.Summary {
	t.Helper()
	requireAllocator(t, a)
	sum := runScenario(t, sc, Options{Allocator: a})
	logExpectations(t, sum)
	if sum.Outcome == rundir.OutcomeFailed {
		t.Fatalf("run failed: %s", sum.Reason)
	}
	if sum.Allocator.Name != a {
		t.Fatalf("the worker ran %s, want %s", sum.Allocator.Name, a)
	}
	return sum
}

// phase returns the summary of a step by its exact name.
func phase(t *testing.T, s *rundir.Summary, name string) rundir.PhaseSummary {
	t.Helper()
	if p := s.Phase(name); p != nil {
		return *p
	}
	t.Fatalf("step %s did not run", name)
	return rundir.PhaseSummary{}
}

func ratio(a, b int64) float64 { return float64(a) / float64(b) }

// The lab's shapes, allocator by allocator where they differ. Bounds come
// from runs at scale 0.25 on this host (glibc 2.36, jemalloc 5.3, tcmalloc
// 2.10 minimal, mimalloc 2.0; figures in docs/allocators.md) and from the
// mechanism each case reproduces, not from tuning.

// TestLabMeshFragmenter: every hole is one object of a smaller size class,
// so no allocator that does not move objects reuses it: anon ends near
// twice live under all four (measured 1.94 to 2.22 after trim).
func TestLabMeshFragmenter(t *testing.T) {
	for _, a := range labAllocators {
		t.Run(a, func(t *testing.T) {
			s := runLab(t, "mesh-fragmenter", 0.25, a, nil)
			p := phase(t, s, "observe")
			if r := ratio(p.AnonBytes, p.LiveBytes); r < 1.7 || r > 2.6 {
				t.Errorf("anon/live after the last round = %.2f, want about 2 (1.7..2.6)", r)
			}
		})
	}
}

// TestLabMmapThreshold: glibc's dynamic threshold keeps later 1 MiB blocks
// in the heap, where freeing every other one returns nothing until trim;
// with the threshold set, each free is a munmap.
func TestLabMmapThreshold(t *testing.T) {
	creep := runLab(t, "mmap-threshold-creep", 0.25, "glibc", nil)
	fill, freed := phase(t, creep, "fill"), phase(t, creep, "free-every-other")
	if r := ratio(freed.AnonBytes, fill.AnonBytes); r < 0.85 {
		t.Errorf("creep: anon after freeing half = %.2f of the fill, want > 0.85 (blocks in the heap)", r)
	}
	fixed := runLab(t, "mmap-threshold-fixed", 0.25, "glibc", nil)
	fill, freed = phase(t, fixed, "fill"), phase(t, fixed, "free-every-other")
	if r := ratio(freed.AnonBytes, fill.AnonBytes); r > 0.65 {
		t.Errorf("fixed: anon after freeing half = %.2f of the fill, want < 0.65 (blocks unmapped)", r)
	}
}

// TestLabThreadArenas: eight jobs in turn, each leaving its freed memory in
// its thread's arena. glibc's default gives eight arenas and ~8 jobs' worth
// of RSS; MALLOC_ARENA_MAX=2 about two (measured 6.5x and 2.0x the first
// job's anon).
func TestLabThreadArenas(t *testing.T) {
	growth := func(s *rundir.Summary) float64 {
		return ratio(phase(t, s, "observe").AnonBytes, phase(t, s, "job#1").AnonBytes)
	}
	def := growth(runLab(t, "thread-arenas", 0.25, "glibc", nil))
	max2 := growth(runLab(t, "thread-arenas-max2", 0.25, "glibc", nil))
	if def < 5 {
		t.Errorf("default arenas: anon grew %.2fx over the first job, want > 5 (one arena per thread)", def)
	}
	if max2 > 3.5 {
		t.Errorf("MALLOC_ARENA_MAX=2: anon grew %.2fx over the first job, want < 3.5 (two arenas)", max2)
	}
}

// TestLabJemallocDecay: without a background thread jemalloc keeps freed
// dirty pages past dirty_decay_ms while nothing allocates; with one, it
// purges them during the wait.
func TestLabJemallocDecay(t *testing.T) {
	quiet := runLab(t, "jemalloc-decay", 0.25, "jemalloc", nil)
	if r := ratio(phase(t, quiet, "wait").AnonBytes, phase(t, quiet, "fill").AnonBytes); r < 0.85 {
		t.Errorf("no background thread: anon after the wait = %.2f of the fill, want > 0.85", r)
	}
	bg := runLab(t, "jemalloc-decay-background", 0.25, "jemalloc", nil)
	if r := ratio(phase(t, bg, "wait").AnonBytes, phase(t, bg, "fill").AnonBytes); r > 0.25 {
		t.Errorf("background thread: anon after the wait = %.2f of the fill, want < 0.25", r)
	}
}

// TestLabMadvFree: MADV_FREE pages stay in RSS until the cgroup needs them,
// then the kernel takes them instead of OOM-killing the worker.
func TestLabMadvFree(t *testing.T) {
	requireMemcg(t)
	s := runLab(t, "madv-free-lazy", 0.25, "glibc", nil)
	if s.Outcome != rundir.OutcomeCompleted {
		t.Fatalf("outcome %s, want completed (lazily freed pages reclaimed)", s.Outcome)
	}
	m, w := phase(t, s, "map"), phase(t, s, "wait")
	if r := ratio(w.AnonBytes, m.AnonBytes); r < 0.9 {
		t.Errorf("anon after MADV_FREE = %.2f of the map, want > 0.9 (lazily freed pages still counted)", r)
	}
	for _, e := range s.Expectations {
		if !e.Passed {
			t.Errorf("expectation failed: %s (observed %s)", e.Expr, e.Observed)
		}
	}
}

// TestLabCrossThreadFree: by: next frees every object from another thread;
// live must reach zero under each allocator's remote-free path.
func TestLabCrossThreadFree(t *testing.T) {
	sc, err := scenarios.Parse("handoff.yaml", []byte(`
workers: 4
phases:
  - name: produce
    allocate: {size: {dist: uniform, min: 64, max: 4KiB}, until: {bytes: 16MiB}}
  - name: consume
    free: {pattern: all, by: next}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range labAllocators {
		t.Run(a, func(t *testing.T) {
			requireAllocator(t, a)
			s := runScenario(t, sc, Options{Allocator: a})
			if s.Outcome != rundir.OutcomeCompleted {
				t.Fatalf("outcome %s: %s", s.Outcome, s.Reason)
			}
			if p := phase(t, s, "consume"); p.LiveBytes != 0 {
				t.Errorf("live after the cross-thread free = %d, want 0", p.LiveBytes)
			}
		})
	}
}

// TestHandoffKeys checks the cross-thread keys: turns unrolls a group once
// per thread, and among/by refuse what they cannot mean.
func TestHandoffKeys(t *testing.T) {
	sc, err := scenarios.Parse("turns.yaml", []byte(`
workers: 3
phases:
  - name: jobs
    turns: true
    repeat: 2
    phases:
      - {name: job, allocate: {size: 64, until: {count: 10}}}
      - {name: done, free: {pattern: every-other, among: last-allocate, by: next}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range sc.Steps() {
		got = append(got, fmt.Sprintf("%s@%d", st.Name, st.Turn))
	}
	want := []string{"job#1@1", "done#1@1", "job#2@2", "done#2@2", "job#3@3", "done#3@3",
		"job#4@1", "done#4@1", "job#5@2", "done#5@2", "job#6@3", "done#6@3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("turns steps (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"among without allocate before", "phases:\n  - {free: {pattern: all, among: last-allocate}}\n", "needs an allocate phase right before"},
		{"among after go", "phases:\n  - {allocate: {via: go, size: 64, until: {count: 1}}}\n  - {free: {pattern: all, among: last-allocate}}\n", "cannot follow an allocate via go"},
		{"unknown among", "phases:\n  - {allocate: {size: 64, until: {count: 1}}}\n  - {free: {pattern: all, among: oldest}}\n", "want among: last-allocate"},
		{"unknown by", "phases:\n  - {free: {pattern: all, by: prev}}\n", "want by: self or next"},
		{"turns on a leaf", "phases:\n  - {hold: 1s, turns: true}\n", "turns applies to a group"},
		{"nested turns", "phases:\n  - turns: true\n    phases:\n      - turns: true\n        phases: [{hold: 1s}]\n", "do not nest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Parse("x.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
