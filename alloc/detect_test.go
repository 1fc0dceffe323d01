package alloc

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helperEnv makes the test binary run preloadHelper instead of the tests, so
// that it can be re-executed under LD_PRELOAD of another allocator.
const helperEnv = "MEMSTORM_ALLOC_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "preload":
		os.Exit(preloadHelper())
	case "malloccount":
		rep := mallocCountHelper()
		if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type preloadReport struct {
	Allocator            Allocator
	Before, After        HeapStats
	Bytes                int64
	TrimErr              string
	TrimSteps, ThreadErr string
	ThreadSteps          string
}

// preloadHelper allocates 40 MiB (untouched: no RSS needed) through the engine, reads the heap around it,
// trims, and prints the report as JSON.
func preloadHelper() int {
	var rep preloadReport
	rep.Allocator = Detect()
	rep.Before = Heap(rep.Allocator)
	e, err := NewEngine(1, new(Counters))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r, err := e.Fill(FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 1024, Max: 64 << 10}, MaxBytes: 40 << 20}, 1<<62)
	if err != nil || r.Status != FillDone {
		fmt.Fprintln(os.Stderr, r, err)
		return 1
	}
	rep.Bytes = r.Bytes
	rep.After = Heap(rep.Allocator)
	if err := e.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if rep.ThreadSteps, err = TrimThread(rep.Allocator); err != nil {
		rep.ThreadErr = err.Error()
	}
	if rep.TrimSteps, err = TrimSteps(rep.Allocator); err != nil {
		rep.TrimErr = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 1
	}
	return 0
}

func TestDetectUnderPreload(t *testing.T) {
	for _, tc := range []struct {
		lib, name string
		// The calls TrimThread and TrimSteps must name.
		thread, trim string
	}{
		{"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", NameJemalloc, "thread.tcache.flush", "thread.tcache.flush, arena.4096.purge"},
		{"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", NameTcmalloc, "MallocExtension_MarkThreadIdle", "MallocExtension_MarkThreadIdle, MallocExtension_ReleaseFreeMemory"},
		{"/usr/lib/x86_64-linux-gnu/libmimalloc.so.2", NameMimalloc, "mi_collect(true)", "mi_collect(true)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.lib); err != nil {
				if os.Getenv("MEMSTORM_CI") == "1" {
					t.Fatalf("MEMSTORM_CI=1 but %s is missing: %v", tc.lib, err)
				}
				t.Skipf("%s not installed: %v", tc.lib, err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"=preload", "LD_PRELOAD="+tc.lib)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helper under %s: %v\n%s", tc.lib, err, out)
			}
			var rep preloadReport
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatalf("helper output %q: %v", out, err)
			}
			a := rep.Allocator
			if a.Name != tc.name || filepath.Base(a.Path) != filepath.Base(tc.lib) || a.Version == "" {
				t.Fatalf("Detect() = %+v, want %s from %s", a, tc.name, tc.lib)
			}
			if rep.TrimErr != "" || rep.ThreadErr != "" {
				t.Errorf("TrimSteps: %s; TrimThread: %s", rep.TrimErr, rep.ThreadErr)
			}
			if !strings.HasPrefix(rep.TrimSteps, tc.trim) || rep.ThreadSteps != tc.thread {
				t.Errorf("TrimSteps said %q, TrimThread %q; want %q..., %q", rep.TrimSteps, rep.ThreadSteps, tc.trim, tc.thread)
			}
			h := rep.After
			if tc.name == NameMimalloc {
				// Release mimalloc builds keep no in-use statistics; commit must cover the
				// fill and outgrow the 32 MiB it commits up front.
				if h.InUse != -1 || h.Held < rep.Bytes || h.Held <= rep.Before.Held {
					t.Fatalf("Heap() = %+v after %d bytes", h, rep.Bytes)
				}
				return
			}
			if h.InUse < 0 || h.Held < h.InUse || h.InUse-rep.Before.InUse < rep.Bytes {
				t.Fatalf("Heap() = %+v (before %+v) after allocating %d bytes", h, rep.Before, rep.Bytes)
			}
		})
	}
}
