package stress

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
)

// TestSwapSpill runs swap-spill at a quarter (48 MiB into a 32 MiB
// limit). Without swap the worker is OOM-killed at the limit. With
// --swap 32MiB: on a host without swap the run is refused before anything
// is made (a usage error, no run directory); on a host with swap it
// completes holding all 48 MiB, usage at most the limit, the rest swapped
// (the cgroup's swap peak at least the 16 MiB beyond the limit).
func TestSwapSpill(t *testing.T) {
	requireMemcg(t)
	sc := loadScaled(t, "swap-spill", 0.25)
	sum := runScenario(t, sc, Options{})
	checkShape(t, sum)
	if sum.Outcome != rundir.OutcomeOOMKilled {
		t.Errorf("without swap: outcome %s, want oom-killed", sum.Outcome)
	}

	mi, err := procfs.NewFS("/proc").Meminfo()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "swap")
	opt := Options{Dir: dir, Limit: &scenarios.Limit{Swap: 32 << 20}}
	if mi.SwapTotal == 0 {
		_, err := Prepare(sc, opt)
		if !errors.Is(err, ErrUsage) {
			t.Fatalf("--swap on a host without swap: Prepare = %v, want a usage error", err)
		}
		if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
			t.Errorf("the refused run left %s (%v)", dir, serr)
		}
		t.Logf("no swap here: the run with --swap is refused (%v); its outcome with swap is held where there is some", err)
		return
	}
	sum = runScenario(t, sc, opt)
	checkShape(t, sum)
	if sum.Outcome != rundir.OutcomeCompleted {
		t.Fatalf("with swap: outcome %s, want completed", sum.Outcome)
	}
	hold := sum.Phases[len(sum.Phases)-1]
	if hold.LiveBytes < 48<<20 || hold.CgroupUsageBytes > 32<<20 {
		t.Errorf("with swap, the hold has %d live bytes (want 48 MiB) and usage %d (want at most the 32 MiB limit)", hold.LiveBytes, hold.CgroupUsageBytes)
	}
	// The 16 MiB live beyond the limit can only be in swap.
	if sum.Cgroup.PeakSwapBytes < 16<<20 {
		t.Errorf("with swap, the cgroup's swap peaked at %d, want at least the 16 MiB held beyond the limit", sum.Cgroup.PeakSwapBytes)
	}
}
