package stress

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
	"github.com/memstorm/memstorm/wire"
	"github.com/memstorm/memstorm/worker"
)

// The tests start real runs: the supervisor re-executes this test binary as
// the worker, which TestMain hands over to worker.Main.
func init() {
	if wire.IsWorker() {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	testenv.RunWithWorkers(m, wire.IsWorker, worker.Main, wire.WorkerExeEnv)
}

// requireMemcg skips (or, in CI, fails) a test that needs root and a cgroup
// memory controller where child cgroups can be created.
func requireMemcg(t *testing.T) { testmemcg.RequireChildren(t) }

// runScenario checks and runs sc into a temporary run directory and
// returns its summary; a harness error fails the test.
func runScenario(t *testing.T, sc *scenarios.Scenario, opt Options) *rundir.Summary {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = filepath.Join(t.TempDir(), "run")
	}
	plan, err := Prepare(sc, opt)
	if err != nil {
		t.Fatalf("Prepare(%s): %v", sc.Name, err)
	}
	return runPlan(t, plan)
}

// runPlan runs a prepared plan and checks what every run must leave: no
// cgroup, samples in time order.
func runPlan(t *testing.T, plan *Plan) *rundir.Summary {
	t.Helper()
	sum, err := plan.Run(context.Background())
	if err != nil {
		t.Fatalf("Run(%s): %v", plan.Scenario.Name, err)
	}
	assertNoCgroupLeft(t)
	assertInTimeOrder(t, plan.Dir)
	return sum
}

// assertInTimeOrder fails when samples.csv of the run in dir goes back in
// time anywhere, or holds no sample.
func assertInTimeOrder(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, rundir.SamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	smp, err := rundir.ReadSamples(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(smp) == 0 {
		t.Errorf("%s: no samples", dir)
	}
	for i := 1; i < len(smp); i++ {
		if smp[i].T < smp[i-1].T {
			t.Errorf("%s: sample %d at %gs comes after one at %gs", dir, i, smp[i].T, smp[i-1].T)
			return
		}
	}
}

// loadScaled loads a built-in and scales its byte targets by f.
func loadScaled(t *testing.T, name string, f float64) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load(name)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	sc.Scale(f)
	return sc
}

// assertNoCgroupLeft fails when a cgroup of this process is still there.
func assertNoCgroupLeft(t *testing.T) {
	t.Helper()
	prefix := "memstorm-" + strconv.Itoa(os.Getpid()) + "-"
	for _, root := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup"} {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if strings.HasPrefix(d.Name(), prefix) {
				t.Errorf("cgroup left behind: %s", p)
				return filepath.SkipDir
			}
			if strings.Count(strings.TrimPrefix(p, root), "/") > 6 {
				return filepath.SkipDir
			}
			return nil
		})
	}
}

// logExpectations prints what a run observed, for the test log.
func logExpectations(t *testing.T, s *rundir.Summary) {
	t.Helper()
	t.Logf("%s: outcome %s (%s), peak RSS %s, peak live %s", s.Scenario, s.Outcome, s.Reason,
		units.FormatBytes(s.PeakRSSBytes), units.FormatBytes(s.PeakLiveBytes))
	for _, p := range s.Phases {
		t.Logf("  %-28s rss %10s anon %10s live %10s held %10s", p.Name, units.FormatBytes(p.RSSBytes),
			units.FormatBytes(p.AnonBytes), units.FormatBytes(p.LiveBytes), units.FormatBytes(p.HeapHeldBytes))
	}
	for _, e := range s.Expectations {
		t.Logf("  passed=%v  %s  (%s)", e.Passed, e.Expr, e.Observed)
	}
}
