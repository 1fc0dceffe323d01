package stress

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
	"golang.org/x/sys/unix"
)

func parseText(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return sc
}

func readRun(t *testing.T, dir string) *rundir.Run {
	t.Helper()
	r, err := rundir.LoadRun(dir)
	if err != nil {
		t.Fatalf("LoadRun(%s): %v", dir, err)
	}
	return r
}

func hasEvent(evs []rundir.Event, kind string) bool {
	for _, e := range evs {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// TestOOMKillIsDetected fills a 32 MiB cgroup until the kernel kills the
// worker: the outcome must be oom-killed from the cgroup's own counter,
// the peak usage at the limit (the kernel charges no page past it and kills
// only after reclaim at the limit failed), and the samples up to the kill
// kept.
func TestOOMKillIsDetected(t *testing.T) {
	requireMemcg(t)
	sc := loadScaled(t, "oom-at-limit", 0.125) // 32 MiB limit
	// At this size the fill reaches the limit in about 15 ms: sample fast
	// enough to draw the curve up to the kill.
	sc.SampleEvery = scenarios.Duration(2 * time.Millisecond)
	dir := filepath.Join(t.TempDir(), "run")
	sum := runScenario(t, sc, Options{Dir: dir})
	logExpectations(t, sum)
	if sum.Outcome != rundir.OutcomeOOMKilled {
		t.Fatalf("outcome = %s (%s), want oom-killed", sum.Outcome, sum.Reason)
	}
	cg := sum.Cgroup
	if cg == nil || cg.OOMKilledProcesses != 1 || cg.OOMKill != 1 {
		t.Fatalf("cgroup summary %+v: want exactly 1 process killed and 1 oom_kill counted", cg)
	}
	limit := int64(32 << 20)
	if cg.Limit != units.LimitOf(limit) {
		t.Errorf("limit = %v, want %d", cg.Limit, limit)
	}
	if cg.PeakUsageBytes < limit*9/10 || cg.PeakUsageBytes > limit {
		t.Errorf("peak usage %d outside 90..100%% of the %d limit", cg.PeakUsageBytes, limit)
	}
	if !sum.Passed {
		t.Errorf("expectations failed: %+v", sum.Expectations)
	}
	if !strings.Contains(sum.ExitStatus, "killed") {
		t.Errorf("exit status %q does not say killed", sum.ExitStatus)
	}
	run := readRun(t, dir)
	if !hasEvent(run.Events, rundir.EventOOMKill) {
		t.Errorf("events.jsonl has no %s event", rundir.EventOOMKill)
	}
	var maxUsage int64
	for _, s := range run.Samples {
		maxUsage = max(maxUsage, s.CgroupUsage)
	}
	if maxUsage < limit/2 {
		t.Errorf("the samples before the kill reach only %d of usage: the curve up to the kill was lost", maxUsage)
	}
}

// TestUnexpectedOOMKillFails: a scenario that expects to complete but is
// killed must fail its expectation, with the observed outcome shown.
func TestUnexpectedOOMKillFails(t *testing.T) {
	requireMemcg(t)
	sc := parseText(t, `
name: surprise
limit: {max: 24MiB}
phases:
  - name: fill
    allocate:
      size: 4KiB
      until: {bytes: 64MiB}
expect:
  outcome: completed
`)
	sum := runScenario(t, sc, Options{})
	if sum.Outcome != rundir.OutcomeOOMKilled {
		t.Fatalf("outcome = %s (%s), want oom-killed", sum.Outcome, sum.Reason)
	}
	if sum.Passed {
		t.Fatal("Passed = true for a run expected to complete that was OOM-killed")
	}
	e := sum.Expectations[0]
	if e.Passed || e.Observed != "oom-killed" {
		t.Errorf("outcome expectation = %+v, want failed with observed oom-killed", e)
	}
}

// TestWorkerRunsInsideItsCgroup: the cgroup's usage must account for the
// worker's allocations, which it only does if the worker is inside.
func TestWorkerRunsInsideItsCgroup(t *testing.T) {
	requireMemcg(t)
	sc := parseText(t, `
name: inside
limit: {max: 128MiB}
phases:
  - name: fill
    allocate: {size: 4KiB, until: {bytes: 32MiB}}
  - name: hold
    hold: 100ms
`)
	sum := runScenario(t, sc, Options{})
	if sum.Outcome != rundir.OutcomeCompleted {
		t.Fatalf("outcome %s: %s", sum.Outcome, sum.Reason)
	}
	fill := sum.Phases[0]
	if fill.CgroupUsageBytes < fill.LiveBytes {
		t.Errorf("cgroup usage %d < live %d at the end of fill: the worker's memory is charged elsewhere", fill.CgroupUsageBytes, fill.LiveBytes)
	}
	if sum.Cgroup.Mode != CgroupChild || sum.Cgroup.Version == 0 {
		t.Errorf("cgroup = %+v, want a child cgroup", sum.Cgroup)
	}
}

// TestForeignSIGKILLIsNotOOM: a worker killed by someone else's SIGKILL is
// a failed run, never an OOM kill.
func TestForeignSIGKILLIsNotOOM(t *testing.T) {
	requireMemcg(t)
	sc := parseText(t, `
name: victim
limit: {max: 64MiB}
phases:
  - name: fill
    allocate: {size: 4KiB, until: {bytes: 4MiB}}
  - name: hold
    hold: 10s
`)
	opt := Options{Dir: filepath.Join(t.TempDir(), "run")}
	killed := false
	opt.Progress = func(p Progress) {
		if killed || p.Phase != "hold" {
			return
		}
		if pid := childPID(t); pid > 0 {
			killed = true
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Errorf("kill %d: %v", pid, err)
			}
		}
	}
	sum := runScenario(t, sc, opt)
	if !killed {
		t.Fatal("the test never found the worker to kill")
	}
	if sum.Outcome != rundir.OutcomeFailed {
		t.Fatalf("outcome = %s (%s), want failed", sum.Outcome, sum.Reason)
	}
	if !strings.Contains(sum.Reason, "no OOM kill") {
		t.Errorf("reason %q does not say the cgroup counted no OOM kill", sum.Reason)
	}
}

// childPID finds this process's child (the worker).
func childPID(t *testing.T) int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	me := strconv.Itoa(os.Getpid())
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		f, err := os.Open(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "PPid:"); ok && strings.TrimSpace(v) == me {
				f.Close()
				pid, _ := strconv.Atoi(e.Name())
				return pid
			}
		}
		f.Close()
	}
	return 0
}

// TestInterruptedRunIsRecorded: cancelling the run (SIGINT in the CLI)
// stops the worker, removes the cgroup and still writes the rundir.
func TestInterruptedRunIsRecorded(t *testing.T) {
	requireMemcg(t) // its limit: block needs a cgroup that enforces it
	sc := parseText(t, `
name: long
limit: {max: 64MiB}
phases:
  - name: fill
    allocate: {size: 4KiB, until: {bytes: 4MiB}}
  - name: hold
    hold: 30s
`)
	dir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancelCause(context.Background())
	opt := Options{Dir: dir, Progress: func(p Progress) {
		if p.Phase == "hold" {
			cancel(errors.New("interrupt"))
		}
	}}
	start := time.Now()
	plan, err := Prepare(sc, opt)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	sum, err := plan.Run(ctx)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("an interrupted run took %v: the worker was not stopped", d)
	}
	if sum.Outcome != rundir.OutcomeInterrupted || sum.Passed {
		t.Errorf("outcome %s passed=%v, want interrupted and not passed", sum.Outcome, sum.Passed)
	}
	for _, f := range []string{rundir.SummaryFile, rundir.SamplesFile, rundir.EventsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("interrupted run lacks %s: %v", f, err)
		}
	}
	if pid := childPID(t); pid > 0 {
		t.Errorf("worker %d still running after the interrupted run", pid)
	}
	assertNoCgroupLeft(t)
}

// TestCheckRefusesDangerousRuns: nothing unbounded runs without a limit,
// and an unlimited run may not plan for more than 80% of MemAvailable.
func TestCheckRefusesDangerousRuns(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"oom without a limit", `
name: a
phases:
  - allocate: {size: 4KiB, until: oom}`, "so it needs a memory limit"},
		{"limit share without a limit", `
name: b
phases:
  - allocate: {size: 4KiB, until: {limit: 90%}}`, "so it needs a memory limit"},
		{"more than MemAvailable", `
name: c
phases:
  - allocate: {size: 4KiB, until: {bytes: 64TiB}}`, "MemAvailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := parseText(t, tc.text)
			dir := filepath.Join(t.TempDir(), "run")
			_, err := Prepare(sc, Options{Dir: dir})
			if err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Prepare = %v, want a usage error mentioning %q", err, tc.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("Prepare created %s", dir)
			}
		})
	}
}

// TestCurrentCgroupMode runs in memstorm's own cgroup without creating one,
// as it must inside a container, and says so.
// In the root of a cgroup v2 hierarchy, which has no memory counters to
// run in, Prepare refuses the mode instead, and creates nothing.
func TestCurrentCgroupMode(t *testing.T) {
	host := testmemcg.Require(t)
	sc := parseText(t, `
name: here
phases:
  - allocate: {size: 4KiB, until: {bytes: 8MiB}}
`)
	if _, err := host.Current(); errors.Is(err, cgroup.ErrRootCgroup) {
		dir := filepath.Join(t.TempDir(), "run")
		_, err := Prepare(sc, Options{Dir: dir, Cgroup: CgroupCurrent})
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "root of the cgroup v2 hierarchy") {
			t.Fatalf("Prepare in the v2 root = %v, want a usage error saying why", err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("a refused run left %s", dir)
		}
		return
	}
	sum := runScenario(t, sc, Options{Cgroup: CgroupCurrent})
	if sum.Outcome != rundir.OutcomeCompleted {
		t.Fatalf("outcome %s: %s", sum.Outcome, sum.Reason)
	}
	if sum.Cgroup == nil || sum.Cgroup.Mode != CgroupCurrent || !strings.Contains(sum.Cgroup.Note, "oom_score_adj") {
		t.Errorf("cgroup = %+v, want mode current with a note about oom_score_adj", sum.Cgroup)
	}
}

// TestOneOfSeveralWorkersKilled: three workers share a cgroup that holds
// two of them. The OOM killer kills one (two when reclaim lags), the run is
// oom-killed and says how many, each kill is an event at its time, and the
// survivors run their phases to the end.
func TestOneOfSeveralWorkersKilled(t *testing.T) {
	requireMemcg(t)
	sc := loadScaled(t, "oom-partial-kill", 0.25) // 64 MiB for 3 x 25 MiB
	dir := filepath.Join(t.TempDir(), "run")
	sum := runScenario(t, sc, Options{Dir: dir})
	logExpectations(t, sum)
	if sum.Outcome != rundir.OutcomeOOMKilled || !strings.Contains(sum.Reason, " of 3 worker processes") {
		t.Fatalf("outcome %s (%s), want oom-killed naming how many of 3", sum.Outcome, sum.Reason)
	}
	if k := sum.Cgroup.OOMKilledProcesses; k < 1 || k > 2 {
		t.Errorf("%d OOM kills: after one, two workers of 25 MiB fit in 64 MiB", k)
	}
	hold := sum.Phases[len(sum.Phases)-1]
	if hold.Name != "hold" || hold.LiveBytes < 20<<20 {
		t.Errorf("last phase %+v: the survivors did not reach the end of hold", hold)
	}
	run := readRun(t, dir)
	kills := 0
	for _, e := range run.Events {
		if e.Kind == rundir.EventOOMKill {
			kills++
			if e.T > hold.StartS {
				t.Errorf("oom-kill event at %.3fs, after the fill it happened in (hold began at %.3fs)", e.T, hold.StartS)
			}
		}
	}
	// Without memory.oom.group the kernel counts one kill per process.
	if cg := sum.Cgroup; int64(kills) != cg.OOMKilledProcesses || cg.OOMKill != cg.OOMKilledProcesses {
		t.Errorf("%d oom-kill events, %d processes killed, %d oom_kill counted: want all equal", kills, cg.OOMKilledProcesses, cg.OOMKill)
	}
}

// TestCurrentCgroupRefusesAnUnenforcedLimit: in memstorm's own cgroup a
// requested limit that the cgroup does not enforce is refused by Prepare,
// before the run directory is written, rather than run unlimited. On v1 and
// v2 alike; in the v2 root, which has no memory.max, too.
func TestCurrentCgroupRefusesAnUnenforcedLimit(t *testing.T) {
	host := testmemcg.Require(t)
	sc := parseText(t, `
name: wants-a-limit
limit: {max: 64MiB}
phases:
  - allocate: {size: 4KiB, until: oom}
`)
	// Only where memstorm's own cgroup's limit is not 64 MiB or less: there
	// the run must be refused (else it would run until: oom in it, which
	// this test must never do anywhere).
	if cur, err := host.Current(); err == nil {
		st, err := cur.Stats()
		cur.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b, ok := st.Limit.Bytes(); ok && b <= 64<<20 {
			t.Skipf("this process's cgroup limit is %v: not a case to refuse", st.Limit)
		}
	}
	// The limit given on the command line (--limit 64MiB) is refused
	// wherever the cgroup does not enforce it.
	dir := filepath.Join(t.TempDir(), "run")
	_, err := Prepare(sc, Options{Dir: dir, Cgroup: CgroupCurrent, Limit: &scenarios.Limit{Max: 64 << 20}})
	if err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), host.Dir()) {
		t.Fatalf("Prepare with --limit = %v; want a usage error naming %s", err, host.Dir())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused run left %s", dir)
	}
	// The scenario's own 64 MiB: refused where the cgroup has no limit at
	// all; where it has a larger one (a container's), the run takes it.
	cur, err := host.Current()
	if errors.Is(err, cgroup.ErrRootCgroup) {
		// The v2 root (the VM's root placement) has no memory counters:
		// --cgroup current is refused there whatever the limit.
		if _, err := Prepare(sc, Options{Dir: dir, Cgroup: CgroupCurrent}); err == nil || !errors.Is(err, ErrUsage) {
			t.Errorf("Prepare in the v2 root = %v; want a usage error", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	st, err := cur.Stats()
	cur.Close()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(sc, Options{Dir: dir, Cgroup: CgroupCurrent})
	switch {
	case st.Limit.Bounded() && err != nil:
		t.Errorf("Prepare = %v; want the scenario's limit to give way to the cgroup's %v", err, st.Limit)
	case !st.Limit.Bounded() && (err == nil || !errors.Is(err, ErrUsage)):
		t.Errorf("Prepare = %v (plan %v); want a usage error: the cgroup has no limit", err, p)
	}
}

// TestScenarioLimitGivesWay: the rule behind the test above, on the
// decision alone (every host): a scenario that allocates until the limit
// takes a container's larger limit in place of its own default; one that
// allocates a byte target, or a limit given with --limit, does not.
func TestScenarioLimitGivesWay(t *testing.T) {
	untilOOM := parseText(t, "name: a\nlimit: {max: 64MiB}\nphases:\n  - allocate: {size: 4KiB, until: oom}\n")
	bytes := parseText(t, "name: b\nlimit: {max: 64MiB}\nphases:\n  - allocate: {size: 4KiB, until: {bytes: 32MiB}}\n")
	have := units.LimitOf(512 << 20)
	for _, tc := range []struct {
		name   string
		sc     *scenarios.Scenario
		flags  *scenarios.Limit
		refuse bool
	}{
		{"until-oom-scenario-limit", untilOOM, nil, false},
		{"until-oom-flag-limit", untilOOM, &scenarios.Limit{Max: 64 << 20}, true},
		{"byte-target-scenario-limit", bytes, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := resolveLimits(tc.sc.Limit, tc.flags, cgroup.Roots{})
			if err != nil {
				t.Fatal(err)
			}
			err = ownCgroupRefusal(tc.sc, l, have, "/x", "test")
			if (err != nil) != tc.refuse {
				t.Errorf("ownCgroupRefusal = %v, want refused %v", err, tc.refuse)
			}
		})
	}
}

// TestFullDiskIsRecorded: when the run directory's disk fills up mid-run,
// the lost samples are a harness error in the summary and in Run's error,
// never a clean completed record. The directory is a 16 KiB tmpfs.
func TestFullDiskIsRecorded(t *testing.T) {
	testmemcg.RequireChildren(t)
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=16k"); err != nil {
		testenv.Missing(t, "mounting a small tmpfs: %v", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	sc := parseText(t, `
name: fills-the-disk
sample_every: 5ms
phases:
  - name: fill
    allocate: {size: 4KiB, until: {bytes: 1MiB}}
  - name: hold
    hold: 1500ms
`)
	plan, err := Prepare(sc, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := plan.Run(context.Background())
	if sum == nil {
		t.Fatalf("no summary: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("Run error %v, want one saying the record is incomplete", err)
	}
	found := false
	for _, e := range sum.HarnessErrors {
		found = found || strings.Contains(e, rundir.SamplesFile) && strings.Contains(e, "no space left")
	}
	if !found {
		t.Errorf("harness errors %q, want samples.csv: no space left on device", sum.HarnessErrors)
	}
	assertNoCgroupLeft(t)
}

// childPIDs lists the processes whose parent is this test process.
func childPIDs(t *testing.T) []int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := procfs.DefaultFS.Proc(pid).Stat()
		if err == nil && st.PPID == os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestStoppedWorkerIsSeenAndTimedOut: a worker stopped with SIGSTOP makes
// no progress; the run says so in its events and on the progress line, and
// --timeout ends it as interrupted instead of waiting forever.
func TestStoppedWorkerIsSeenAndTimedOut(t *testing.T) {
	requireMemcg(t)
	sc := parseText(t, `
name: stoppable
limit: {max: 64MiB}
phases:
  - name: fill
    allocate: {size: 4KiB, until: {bytes: 4MiB}}
  - name: hold
    hold: 60s
`)
	dir := filepath.Join(t.TempDir(), "run")
	var stopped []int
	var sawStalled bool
	opt := Options{Dir: dir, Timeout: 4 * time.Second, Progress: func(p Progress) {
		if p.Phase == "hold" && stopped == nil {
			stopped = childPIDs(t)
			for _, pid := range stopped {
				_ = syscall.Kill(pid, syscall.SIGSTOP)
			}
		}
		sawStalled = sawStalled || p.Stalled != ""
	}}
	plan, err := Prepare(sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sum, err := plan.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(stopped) == 0 {
		t.Fatal("found no worker to stop")
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the run took %v with a 4s timeout", d)
	}
	if sum.Outcome != rundir.OutcomeInterrupted || !strings.Contains(sum.Reason, "--timeout") {
		t.Errorf("outcome %s (%s), want interrupted by the timeout", sum.Outcome, sum.Reason)
	}
	if !sawStalled {
		t.Error("the progress line never said a worker was stopped")
	}
	run := readRun(t, dir)
	found := false
	for _, e := range run.Events {
		found = found || e.Kind == rundir.EventStalled
	}
	if !found {
		t.Errorf("no %s event in %+v", rundir.EventStalled, run.Events)
	}
	assertNoCgroupLeft(t)
}
