package stress

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
)

// TestOOMGroupCountsProcesses: with memory.oom.group one OOM kill takes
// every worker, and the kernel counts kills, not processes (the victim it
// chose, then every task of the group again, threads included). The
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
