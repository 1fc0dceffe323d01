package stress

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
)

// workerPIDs lists this process's children: the workers of the run going
// on (the tests run one at a time).
func workerPIDs(t *testing.T) []int {
	var pids []int
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// TestHoldIsAsleep runs the hold-asleep built-in and reads the worker's
// CPU time (utime + stime of /proc/PID/stat) half a second after its hold
// phase is first seen (past the phase's start) and when it is last seen:
// the worker sleeps through the hold, so it may use under 1% of a core.
// What wakes there is memstorm's heap reporter, once per 100 ms sample,
// and the Go runtime's housekeeping: about 0.5% of a core measured here
// (schedstat). utime and stime count 10 ms ticks, so each reading is off
// by up to one: over the 9.5 s measured, 1% is 9.5 ticks and 0.5% is
// 4.75 +- 2.
func TestHoldIsAsleep(t *testing.T) {
	requireMemcg(t)
	sc := loadScaled(t, "hold-asleep", 0.25)
	fs := procfs.NewFS("/proc")
	var mu sync.Mutex
	type reading struct {
		wall time.Time
		cpu  time.Duration
	}
	var first, last *reading
	var seen time.Time
	var pid int
	sum := runScenario(t, sc, Options{Progress: func(p Progress) {
		if p.Phase != "hold" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen.IsZero() {
			seen = time.Now()
		}
		if time.Since(seen) < 500*time.Millisecond {
			return
		}
		if pid == 0 {
			pids := workerPIDs(t)
			if len(pids) != 1 {
				return
			}
			pid = pids[0]
		}
		st, err := fs.Proc(pid).Stat()
		if err != nil {
			return
		}
		r := &reading{time.Now(), st.CPUTime()}
		if first == nil {
			first = r
		}
		last = r
	}})
	checkShape(t, sum)
	if first == nil || last == nil {
		t.Fatal("the hold phase was never seen with one worker")
	}
	wall := last.wall.Sub(first.wall)
	if wall < 8*time.Second {
		t.Fatalf("the hold was measured over %v only, want most of its 10 s", wall)
	}
	frac := float64(last.cpu-first.cpu) / float64(wall)
	t.Logf("worker %d during the hold: %v of CPU over %v: %.3f%% of a core", pid, last.cpu-first.cpu, wall.Round(time.Millisecond), 100*frac)
	if frac >= 0.01 {
		t.Errorf("the worker used %.2f%% of a core while holding, want under 1%%", 100*frac)
	}
}

// TestSlowLeakTimeToKill runs the slow-leak built-in (at a quarter: 1 MiB
// every 250 ms, 4 MiB/s, into 32 MiB) and holds the OOM kill's time to the
// one its stated rate predicts: (limit - what the worker is charged
// besides the leak) / rate, the charge besides the leak being the
// cgroup's usage less the live bytes at the leak's first sample. The
// leak cannot be faster than its rate (every drip is followed by a full
// 250 ms sleep), so the kill comes at most one period before the
// prediction (the drip that crosses the limit is killed part way), less
// what the cgroup is charged beyond the requested bytes: glibc's chunk
// headers and rounding, memstorm's 8 bytes of bookkeeping per object and
// the page tables, under 3% for objects of 64 B to 4 KiB (2 KiB on
// average). Each drip's allocation and the sleeps' overshoot only make it
// later, by a few percent on an idle machine.
func TestSlowLeakTimeToKill(t *testing.T) {
	requireMemcg(t)
	const scale = 0.25
	sc := loadScaled(t, "slow-leak", scale)
	dir := filepath.Join(t.TempDir(), "run")
	sum := runScenario(t, sc, Options{Dir: dir})
	checkShape(t, sum)
	run, err := rundir.LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	start, kill := -1.0, -1.0
	for _, e := range run.Events {
		switch {
		case e.Kind == rundir.EventPhaseStart && e.Phase == "drip#1" && start < 0:
			start = e.T
		case e.Kind == rundir.EventOOMKill && kill < 0:
			kill = e.T
		}
	}
	if start < 0 || kill < 0 {
		t.Fatalf("no drip#1 start (%v) or no OOM kill (%v) in events.jsonl", start, kill)
	}
	var u0 int64 = -1
	for _, s := range run.Samples {
		if s.T > start && s.CgroupUsage >= 0 && s.Live > 0 {
			u0 = s.CgroupUsage - s.Live
			break
		}
	}
	if u0 < 0 {
		t.Fatal("no sample of the leak with the cgroup's usage")
	}
	limit, ok := sum.Cgroup.Limit.Bytes()
	if !ok {
		t.Fatalf("no limit in the summary: %+v", sum.Cgroup)
	}
	const period = 0.25
	rate := scale * float64(4<<20) / period
	predicted := float64(limit-u0) / rate
	observed := kill - start
	t.Logf("limit %d, charged besides the leak %d, rate %.0f B/s: predicted %.2f s, observed %.2f s (%+.1f%%)",
		limit, u0, rate, predicted, observed, 100*(observed/predicted-1))
	if observed < predicted*0.97-period {
		t.Errorf("killed at %.2f s, more than one period before the %.2f s the rate allows", observed, predicted)
	}
	if observed > predicted*1.25+period || math.IsNaN(observed) {
		t.Errorf("killed at %.2f s, far after the predicted %.2f s: the leak ran slower than its rate (a loaded machine: rerun)", observed, predicted)
	}
}
