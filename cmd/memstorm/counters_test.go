package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// TestCurrentCgroupCountsEachRunsOwn runs memstorm twice in one cgroup
// that it did not make (--cgroup current, as in a container): an OOM run,
// then a stopped-at-limit run. Each summary holds its own counters: the
// second shows no OOM kill and its own failcnt, with the cgroup's totals,
// the first run's kill included, beside them; its peak is its own (reset
// at its start, or sampled with the lifetime peak beside it).
func TestCurrentCgroupCountsEachRunsOwn(t *testing.T) {
	host := testmemcg.RequireChildren(t)
	const limit = 128 << 20
	set := cgroup.Settings{Max: units.LimitOf(limit)}
	if host.Version() == 2 {
		// No swap (a v2 host may have some). On v1 memsw is left
		// unlimited, as a host without swap has nothing to swap to: a
		// memsw limit would take the refused charges, which Linux 6.15
		// and later count in no failcnt.
		set.Swap = units.BytesLimit(0)
	}
	g, err := host.NewChild(cgroup.ChildName(os.Getpid(), 900), set)
	if err != nil {
		t.Fatalf("making the test's cgroup: %v", err)
	}
	defer func() {
		if err := g.Delete(); err != nil {
			t.Errorf("removing %s: %v", g.Path(), err)
		}
	}()
	runIn := func(out, scenario string) *rundir.Summary {
		t.Helper()
		// The shell moves itself into the cgroup, then becomes memstorm:
		// memstorm starts there, as in a container.
		cmd := exec.Command("/bin/sh", "-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, g.Path(),
			os.Args[0], "-test.run=^$", "--", "run", "--cgroup", "current", "--quiet", "--out", out, scenario)
		cmd.Env = append(os.Environ(), cliEnv+"=1")
		var o bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &o
		err := cmd.Run()
		t.Logf("memstorm run --cgroup current %s (%v):\n%s", scenario, err, o.String())
		s, rerr := rundir.ReadSummary(filepath.Join(out, rundir.SummaryFile))
		if rerr != nil {
			t.Fatalf("%s: %v", scenario, rerr)
		}
		if s.Cgroup == nil || s.Cgroup.Mode != "current" || s.Cgroup.Path != g.Path() {
			t.Fatalf("%s: cgroup %+v, want the test's %s in current mode", scenario, s.Cgroup, g.Path())
		}
		return s
	}
	dir := t.TempDir()
	first := runIn(filepath.Join(dir, "oom"), "oom-at-limit")
	second := runIn(filepath.Join(dir, "fill"), "fill-to-limit-then-free")

	if c := first.Cgroup; first.Outcome != rundir.OutcomeOOMKilled || c.OOMKilledProcesses != 1 || c.OOMKill != 1 || c.Failcnt <= 0 {
		t.Errorf("first run: %s, %d processes killed, oom_kill %d, failcnt %d; want oom-killed, 1, 1 and charges refused",
			first.Outcome, c.OOMKilledProcesses, c.OOMKill, c.Failcnt)
	}
	c := second.Cgroup
	if second.Outcome != rundir.OutcomeStoppedAtLimit || c.OOMKilledProcesses != 0 || c.OOMKill != 0 || c.Events["oom_kill"] != 0 {
		t.Errorf("second run: %s, %d processes killed, oom_kill %d, events %v; want stopped-at-limit and no kill",
			second.Outcome, c.OOMKilledProcesses, c.OOMKill, c.Events)
	}
	// The totals hold the first run's kill; the second's own failcnt is
	// what the cgroup counted after the first run ended.
	if got := c.LifetimeEvents["oom_kill"]; got != 1 {
		t.Errorf("second run: the cgroup's lifetime oom_kill %d, want the first run's 1", got)
	}
	if own := c.LifetimeEvents["failcnt"] - first.Cgroup.LifetimeEvents["failcnt"]; c.Failcnt != own {
		t.Errorf("second run: failcnt %d, want its own %d (lifetime %d less the first run's %d)",
			c.Failcnt, own, c.LifetimeEvents["failcnt"], first.Cgroup.LifetimeEvents["failcnt"])
	}
	// The first run peaked at the limit, the second stops at 95% of it:
	// a peak of the second's own is below 98%.
	switch c.PeakSource {
	case "memory.peak", "memory.max_usage_in_bytes":
		if c.PeakUsageBytes > limit*98/100 || units.Known(c.LifetimePeakUsageBytes) {
			t.Errorf("second run: peak %s from %s, lifetime peak %d: want its own peak under 98%% of %s, no lifetime one",
				units.FormatBytes(c.PeakUsageBytes), c.PeakSource, c.LifetimePeakUsageBytes, units.FormatBytes(limit))
		}
	case cgroup.PeakSampled:
		if c.LifetimePeakUsageBytes < limit*9/10 {
			t.Errorf("second run: sampled peak with lifetime peak %d; want the lifetime peak, the first run's, near the limit", c.LifetimePeakUsageBytes)
		}
	default:
		t.Errorf("second run: peak source %q", c.PeakSource)
	}
	t.Logf("second run: peak %s (%s), failcnt %d of %d in the cgroup's lifetime",
		units.FormatBytes(c.PeakUsageBytes), c.PeakSource, c.Failcnt, c.LifetimeEvents["failcnt"])
}
