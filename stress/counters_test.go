package stress

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
)

// TestOOMGroupCountsProcesses: with memory.oom.group one OOM kill takes
// every worker, and the kernel counts kill actions, not processes (the
// victim it chose may count again with its group). The
// summary keeps the processes killed, from their wait statuses, apart from
// the kernel's counters: processes killed == the oom-kill events. cgroup
// v1 has no memory.oom.group: there the run is refused as bad usage
// before anything is made, never run without it.
func TestOOMGroupCountsProcesses(t *testing.T) {
	host := testmemcg.RequireChildren(t)
	sc := loadScaled(t, "oom-partial-kill", 0.25) // 64 MiB for 3 x 25 MiB
	dir := filepath.Join(t.TempDir(), "run")
	plan, err := Prepare(sc, Options{Dir: dir, Limit: &scenarios.Limit{OOMGroup: true}})
	if host.Version() == 1 {
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "oom_group") {
			t.Fatalf("Prepare with oom_group on cgroup v1: %v, want a usage error naming oom_group", err)
		}
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("%s was created for a refused run", dir)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	sum := runPlan(t, plan)
	logExpectations(t, sum)
	cg := sum.Cgroup
	if sum.Outcome != rundir.OutcomeOOMKilled || !strings.Contains(sum.Reason, "3 of 3 worker processes") {
		t.Fatalf("outcome %s (%s): want oom-killed, 3 of 3 worker processes", sum.Outcome, sum.Reason)
	}
	if cg.OOMGroup == nil || !*cg.OOMGroup {
		t.Errorf("oom_group %v: want true, read back from memory.oom.group", cg.OOMGroup)
	}
	kills := 0
	for _, e := range readRun(t, dir).Events {
		if e.Kind == rundir.EventOOMKill {
			kills++
		}
	}
	if cg.OOMKilledProcesses != 3 || int64(kills) != cg.OOMKilledProcesses {
		t.Errorf("%d processes killed, %d oom-kill events: want 3 and 3", cg.OOMKilledProcesses, kills)
	}
	if cg.OOMKill < 3 || cg.OOMGroupKill < 1 {
		t.Errorf("kernel counters oom_kill %d, oom_group_kill %d: want at least 3 and 1", cg.OOMKill, cg.OOMGroupKill)
	}
	t.Logf("3 processes killed; kernel oom_kill %d, oom_group_kill %d", cg.OOMKill, cg.OOMGroupKill)
}

// TestSwapIsRecorded: the cgroup's swap is a curve in samples.csv and a
// peak in summary.json. With swap on the host and a swap allowance beyond
// the limit, a run that allocates past its limit swaps: the peak is above
// 0 and a swap event says when it began. Without swap on the host (this
// project's CI host) the curve is 0, not absent, where the kernel
// accounts swap, and nothing warns.
func TestSwapIsRecorded(t *testing.T) {
	requireMemcg(t)
	mi, err := procfs.DefaultFS.Meminfo()
	if err != nil {
		t.Fatal(err)
	}
	swapOn := mi.SwapTotal > 0
	sc := parseText(t, `
name: swap
limit: {max: 48MiB}
phases:
  - allocate: {size: 4KiB, until: {bytes: 64MiB}}
  - hold: 200ms
`)
	opt := Options{}
	if swapOn {
		opt.Limit = &scenarios.Limit{Swap: 128 << 20}
	} else {
		sc = parseText(t, strings.Replace(sc.Source, "64MiB", "24MiB", 1)) // no OOM kill: nothing to swap to
	}
	opt.Dir = filepath.Join(t.TempDir(), "run")
	sum := runScenario(t, sc, opt)
	run := readRun(t, opt.Dir)
	cg := sum.Cgroup
	if !swapOn {
		if sum.Outcome != rundir.OutcomeCompleted || cg.PeakSwapBytes != 0 || sum.PeakSwapBytes != 0 || hasEvent(run.Events, rundir.EventSwap) {
			t.Errorf("no swap on the host: outcome %s, cgroup peak swap %d, workers' %d, swap event %v; want completed, 0, 0, none",
				sum.Outcome, cg.PeakSwapBytes, sum.PeakSwapBytes, hasEvent(run.Events, rundir.EventSwap))
		}
		for _, s := range run.Samples {
			if s.CgroupSwap != 0 {
				t.Fatalf("sample at %.3fs: cgroup swap %d, want 0 (accounted, nothing swapped)", s.T, s.CgroupSwap)
			}
		}
		return
	}
	if sum.Outcome != rundir.OutcomeCompleted {
		t.Fatalf("outcome %s (%s): 64 MiB in 48 MiB with 128 MiB of swap should complete", sum.Outcome, sum.Reason)
	}
	// 64 MiB live in 48 MiB of memory: at least 16 MiB went to swap.
	if cg.PeakSwapBytes < 16<<20 || !hasEvent(run.Events, rundir.EventSwap) {
		t.Errorf("cgroup peak swap %s, swap event %v: want at least 16 MiB and an event", units.FormatBytes(cg.PeakSwapBytes), hasEvent(run.Events, rundir.EventSwap))
	}
	peak := int64(0)
	for _, s := range run.Samples {
		peak = max(peak, s.CgroupSwap)
	}
	if peak <= 0 || peak > cg.PeakSwapBytes {
		t.Errorf("samples' cgroup swap peaks at %d, summary at %d: want a curve up to the summary's peak", peak, cg.PeakSwapBytes)
	}
	t.Logf("cgroup swap peak %s, workers' %s", units.FormatBytes(cg.PeakSwapBytes), units.FormatBytes(sum.PeakSwapBytes))
}

// --oom-group where memstorm cannot set memory.oom.group (no cgroup, or
// memstorm's own) is refused as bad usage before anything is written,
// never run without it.
func TestOOMGroupNotHonouredIsRefused(t *testing.T) {
	testmemcg.Require(t)
	sc := parseText(t, "name: g\nphases:\n  - allocate: {size: 4KiB, until: {bytes: 1MiB}}\n")
	for _, mode := range []string{CgroupNone, CgroupCurrent} {
		dir := filepath.Join(t.TempDir(), "run")
		plan, err := Prepare(sc, Options{Dir: dir, Cgroup: mode, Limit: &scenarios.Limit{OOMGroup: true}})
		if err == nil {
			_, err = plan.Run(context.Background())
		}
		// The refusal may come first for another reason (a current
		// cgroup at the v2 root has no counters to run in): any usage
		// error, nothing written.
		if !errors.Is(err, ErrUsage) {
			t.Errorf("--cgroup %s --oom-group: %v, want a usage error", mode, err)
		}
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("--cgroup %s --oom-group: %s was created", mode, dir)
		}
	}
}
