package stress

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
)

// buildMallocCounter compiles the counting interposer of package alloc.
func buildMallocCounter(t *testing.T) string {
	t.Helper()
	cc := testenv.RequireCommand(t, "cc", "apt-get install gcc")
	lib := filepath.Join(t.TempDir(), "libmalloccount.so")
	src := filepath.Join("..", "alloc", "testdata", "malloccount.c")
	if out, err := exec.Command(cc, "-O2", "-Wall", "-shared", "-fPIC", "-o", lib, src, "-ldl").CombinedOutput(); err != nil {
		t.Fatalf("building the counting interposer: %v\n%s", err, out)
	}
	return lib
}

// TestHarnessMakesNoMallocCalls: between the start of the first phase and
// the end of the last, the worker calls the allocator under test for the
// scenario's own objects and nothing else, under every allocator: it runs
// with the counting interposer preloaded in front of the allocator, and
// reports the calls that were not the engine's. One-thread and
// eight-thread scenarios, frees in order, by pattern and by page.
func TestHarnessMakesNoMallocCalls(t *testing.T) {
	lib := buildMallocCounter(t)
	for _, a := range allocators.Names() {
		choice := testenv.RequireAllocator(t, a)
		for _, name := range []string{"eat-and-return", "keep-one-per-page", "thread-arenas"} {
			t.Run(a+"/"+name, func(t *testing.T) {
				sc := loadScaled(t, name, 1.0/32)
				plan, err := Prepare(sc, Options{Dir: filepath.Join(t.TempDir(), "run"), Allocator: a})
				if err != nil {
					t.Fatal(err)
				}
				plan.Allocator.Preload = lib
				if choice.Preload != "" {
					plan.Allocator.Preload += ":" + choice.Preload
				}
				sum := runPlan(t, plan)
				if sum.Allocator.Name != a {
					t.Fatalf("ran under %s, want %s behind the interposer", sum.Allocator.Name, a)
				}
				if sum.HarnessMallocCalls == nil {
					t.Fatalf("the worker did not count its calls (outcome %s: %s)", sum.Outcome, sum.Reason)
				}
				if n := *sum.HarnessMallocCalls; n != 0 {
					log, _ := os.ReadFile(filepath.Join(plan.Dir, rundir.WorkerLog(0, 1)))
					t.Errorf("the harness made %d malloc-family calls during the phases, want 0\n%s", n, log)
				}
			})
		}
	}
}
