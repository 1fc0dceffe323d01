package stress

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
)

// requireFileDirs skips (fails in CI) a scenario whose file backend has no
// directory of the kind it needs here: via: file a disk filesystem for
// $TMPDIR, via: tmpfs and shm a tmpfs at /dev/shm.
func requireFileDirs(t *testing.T, sc *scenarios.Scenario) {
	t.Helper()
	if err := checkFileDirs(sc); err != nil {
		testenv.Missing(t, "%v", err)
	}
}

// readRunSamples reads the samples.csv of the run in dir.
func readRunSamples(t *testing.T, dir string) []rundir.Sample {
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
	return smp
}

// TestFilePagesCurves runs page-cache-reclaim and tmpfs-to-oom at an
// eighth (32 MiB limits) sampled every 2 ms and reads the cgroup's page
// cache and shmem curves. The file's pages are page cache and not shmem:
// the cgroup's file curve reaches at least 80% of the limit (what is not
// file is the worker's own anon and page tables, about 3 MiB) and its
// shmem stays under 1 MiB, while usage never passes the limit though
// twice the limit is written. tmpfs pages are shmem: the shmem curve
// reaches at least 70% of the limit before the kill (the last sample is
// at most 2 ms, a few MiB of writing, before it, and the worker's own
// memory is charged too). Neither leaves a name in /dev/shm or $TMPDIR.
func TestFilePagesCurves(t *testing.T) {
	requireMemcg(t)
	for _, name := range []string{"page-cache-reclaim", "tmpfs-to-oom"} {
		t.Run(name, func(t *testing.T) {
			sc := loadScaled(t, name, 0.125)
			requireFileDirs(t, sc)
			sc.SampleEvery = scenarios.Duration(2 * time.Millisecond)
			dir := filepath.Join(t.TempDir(), "run")
			sum := runScenario(t, sc, Options{Dir: dir})
			checkShape(t, sum)
			limit := float64(sc.Limit.Max)
			var file, shmem, usage int64
			for _, s := range readRunSamples(t, dir) {
				if s.CgroupFile < 0 || s.CgroupShmem < 0 {
					t.Fatalf("a sample at %gs has no cgroup file or shmem figure", s.T)
				}
				file, shmem, usage = max(file, s.CgroupFile), max(shmem, s.CgroupShmem), max(usage, s.CgroupUsage)
			}
			t.Logf("limit %v: peak cgroup file %d, shmem %d, usage %d", sc.Limit.Max, file, shmem, usage)
			switch name {
			case "page-cache-reclaim":
				// A sampled usage may read one charge batch (64 pages) per
				// CPU above the limit: the kernel adds a charge before it
				// compares (page_counter_try_charge) and takes it back.
				over := float64(64 * os.Getpagesize() * runtime.NumCPU())
				if float64(file) < 0.8*limit || shmem >= 1<<20 || float64(usage) > limit+over {
					t.Errorf("page cache: file %d (want >= 80%% of %v), shmem %d (want < 1 MiB), usage %d (want <= the limit and the kernel's charge batches)", file, sc.Limit.Max, shmem, usage)
				}
			case "tmpfs-to-oom":
				if float64(shmem) < 0.7*limit {
					t.Errorf("tmpfs: shmem peaked at %d, want >= 70%% of %v", shmem, sc.Limit.Max)
				}
			}
			for _, d := range []string{fileDir(), shmDir} {
				if left, _ := filepath.Glob(filepath.Join(d, "memstorm-[0-9]*-[0-9]*")); len(left) > 0 {
					t.Errorf("names left in %s: %v", d, left)
				}
			}
		})
	}
}

// TestSweepFiles: once a worker has ended, the names it could have left
// (memstorm-PID-N in the file directory and /dev/shm) are removed, and
// only those of its PID.
func TestSweepFiles(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("no true(1) to stand for a worker: %v", err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	mine := []string{filepath.Join(shmDir, "memstorm-"+pid+"-0"), filepath.Join(fileDir(), "memstorm-"+pid+"-7")}
	other := filepath.Join(shmDir, "memstorm-"+pid+"0-1") // another PID with the same digits first
	for _, p := range append(mine, other) {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Skipf("cannot make %s: %v", p, err)
		}
		t.Cleanup(func() { os.Remove(p) })
	}
	sc := &scenarios.Scenario{Phases: []scenarios.Phase{{Name: "w", Allocate: &scenarios.Allocate{Via: scenarios.ViaShm}}}}
	s := &supervisor{sc: sc, procs: []*workerProc{{cmd: cmd, exited: true}}}
	s.sweepFiles()
	for _, p := range mine {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s was not removed (%v)", p, err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("%s, another process's, was removed: %v", other, err)
	}
	if len(s.sum.HarnessErrors) > 0 {
		t.Errorf("harness errors: %v", s.sum.HarnessErrors)
	}
}
