package stress

import (
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/sample"
)

// TestShortOOMFillHasACurve: oom-at-limit at 64 MiB fills to the kill in a
// few hundred milliseconds, about ten samples at its 20 ms interval. The
// sampler, seeing the usage reach the limit within sample.Horizon at its
// growth, samples every sample.FastEvery instead: at least 50 samples come
// before the kill, most of them fast.
func TestShortOOMFillHasACurve(t *testing.T) {
	requireMemcg(t)
	sc := loadScaled(t, "oom-at-limit", 0.25) // 64 MiB limit
	dir := filepath.Join(t.TempDir(), "run")
	sum := runScenario(t, sc, Options{Dir: dir})
	if sum.Outcome != rundir.OutcomeOOMKilled {
		t.Fatalf("outcome = %s (%s), want oom-killed", sum.Outcome, sum.Reason)
	}
	run := readRun(t, dir)
	kill := -1.0
	for _, e := range run.Events {
		if e.Kind == rundir.EventOOMKill {
			kill = e.T
			break
		}
	}
	if kill < 0 {
		t.Fatalf("events.jsonl has no %s event", rundir.EventOOMKill)
	}
	before, faults := 0, 0
	for _, s := range run.Samples {
		if s.T < kill {
			before++
		}
		if s.MinFlt >= 0 {
			faults++
		}
	}
	t.Logf("%d samples before the kill at %.3f s (%d with fault counts)", before, kill, faults)
	if before < 50 {
		t.Errorf("%d samples before the kill at %.3f s, want at least 50", before, kill)
	}
	// The fast interval is 1 ms: 50 samples in under 20 intervals of 20 ms
	// could not come from the scenario's interval alone.
	if float64(before) <= kill/sc.SampleEvery.D().Seconds()+2 {
		t.Errorf("%d samples in %.3f s: no more than the %v interval gives", before, kill, sc.SampleEvery.D())
	}
	// Fault counts come every sample.SlowEvery at most (and at phase
	// boundaries), so most samples carry none.
	if maxSlow := int(kill/sample.SlowEvery.Seconds()) + 8; faults > maxSlow {
		t.Errorf("%d samples carry fault counts in %.3f s, want at most %d", faults, kill, maxSlow)
	}
}
