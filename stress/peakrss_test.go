package stress

import (
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
)

// TestPeakRSSIsTheWorkers: exec records the old address space's high-water
// RSS in the new process's ru_maxrss, and os/exec starts the worker with
// vfork, whose old address space is the supervisor's. A supervisor that
// once touched 192 MiB must not report a 192 MiB peak for a worker that
// never held more than a few MiB.
func TestPeakRSSIsTheWorkers(t *testing.T) {
	testenv.SkipUnderRace(t)
	requireMemcg(t)
	const big = 192 << 20
	ballast := make([]byte, big)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	sc := parseText(t, `
name: small-worker
limit: {max: 64MiB}
phases:
  - name: fill
    allocate: {size: 4KiB, until: {bytes: 2MiB}}
  - name: hold
    hold: 50ms
`)
	sum := runScenario(t, sc, Options{})
	ballast[len(ballast)-1] = 2 // keep the ballast touched until after the run
	if sum.Outcome != rundir.OutcomeCompleted {
		t.Fatalf("outcome %s: %s", sum.Outcome, sum.Reason)
	}
	// The worker's own RSS: the Go runtime, the engine and 2 MiB of
	// objects, well under the supervisor's ballast.
	if sum.PeakRSSBytes <= 0 || sum.PeakRSSBytes >= big/2 {
		t.Errorf("peak RSS %d MiB, want the worker's own few MiB, not the supervisor's %d MiB high-water mark", sum.PeakRSSBytes>>20, big>>20)
	}
	t.Logf("worker peak RSS %.1f MiB with a supervisor high-water mark above %d MiB", float64(sum.PeakRSSBytes)/(1<<20), big>>20)
}
