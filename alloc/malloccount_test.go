package alloc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The interposer (testdata/malloccount.c) counts the malloc-family calls of
// the whole process. These tests run the test binary under it, in front of
// each allocator, and hold the engine and the introspection calls to their
// promise: between phases the harness makes no malloc-family call at all,
// and a Fill of N objects makes exactly N mallocs.

var countNames = [...]string{"malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc", "free(NULL)"}

func (m mallocCounts) sub(o mallocCounts) (d mallocCounts) {
	for i := range m {
		d[i] = m[i] - o[i]
	}
	return d
}

func (m mallocCounts) String() string {
	var b strings.Builder
	for i, n := range m {
		if n != 0 {
			fmt.Fprintf(&b, " %s=%d", countNames[i], n)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()[1:]
}

// window is one counted stretch of the helper.
type window struct {
	Name string
	// All is every thread's calls; Thread the calling (engine) thread's.
	All, Thread mallocCounts
	// Threads is the number of OS threads before and after.
	ThreadsBefore, ThreadsAfter int
	// Mallocs and Frees are what the engine's own calls did: objects
	// allocated via malloc or freed via free (mmap objects are not malloc
	// calls). The window's counts must be exactly these.
	Mallocs, Frees int64
	// NewThreads marks the window that starts OS threads on purpose.
	NewThreads bool
}

type countReport struct {
	Allocator Allocator
	Windows   []window
	Err       string
}

// osThreads is the Threads line of /proc/self/status, read with one
// read(2) into a stack buffer.
func osThreads() int {
	var buf [4096]byte
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	n, _ := f.Read(buf[:])
	f.Close()
	_, rest, ok := strings.Cut(string(buf[:n]), "\nThreads:")
	if !ok {
		return -1
	}
	v, _, _ := strings.Cut(strings.TrimSpace(rest), "\n")
	t, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return -1
	}
	return t
}

// mallocCountHelper runs in the re-executed test binary under the
// interposer: the calls a worker makes, each stretch counted.
func mallocCountHelper() (rep countReport) {
	runtime.LockOSThread() // the engine's thread, as the worker's thread 0
	if !resolveMallocCounter() {
		rep.Err = "msc_counts not found: the interposer is not loaded"
		return rep
	}
	rep.Allocator = Detect()
	e, err := NewEngine(1, new(Counters))
	if err != nil {
		rep.Err = err.Error()
		return rep
	}
	c := e.Counters()
	fail := func(err error) {
		if err != nil && rep.Err == "" {
			rep.Err = err.Error()
		}
	}
	// What the worker does between phases: the phase-end heap figures,
	// the counters, a trim step and its heap figures before and after.
	between := func() {
		Heap(rep.Allocator)
		_ = c.Load()
		if _, err := TrimThread(rep.Allocator); !errors.Is(err, ErrUnsupported) {
			fail(err)
		}
		_, err := TrimSteps(rep.Allocator)
		fail(err)
		Heap(rep.Allocator)
		_ = c.Load()
	}
	count := func(name string, f func() (mallocs, frees int64)) {
		w := window{Name: name, ThreadsBefore: osThreads()}
		all, thr := readMallocCounts(false), readMallocCounts(true)
		w.Mallocs, w.Frees = f()
		w.All, w.Thread = readMallocCounts(false).sub(all), readMallocCounts(true).sub(thr)
		w.ThreadsAfter = osThreads()
		rep.Windows = append(rep.Windows, w)
	}
	none := func() (int64, int64) { between(); return 0, 0 }
	malloc := func(sel Selection) func() (int64, int64) {
		return func() (int64, int64) {
			_, n, err := e.Free(sel)
			fail(err)
			return 0, n
		}
	}
	// Threads the Go runtime started before now may still be running their
	// start-up (runtime/cgo's threadentry frees its start block): wait
	// until no call has been counted and no thread started for 50 ms.
	settle := func() {
		for i := 0; i < 100; i++ {
			before, threads := readMallocCounts(false), osThreads()
			time.Sleep(50 * time.Millisecond)
			if readMallocCounts(false) == before && osThreads() == threads {
				return
			}
		}
		fail(errors.New("malloc-family calls or thread starts did not stop for 50 ms within 5 s"))
	}
	const n = 20000
	fill := FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 64, Max: 4096}, MaxCount: n, Touch: true}

	// The worker's heap reporter reads the heap from a thread of its own,
	// started before the first phase and kept to the end: a locked
	// goroutine that returned would end its thread, whose exit frees.
	reporter := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for range reporter {
			Heap(rep.Allocator)
			reporter <- struct{}{}
		}
	}()
	defer close(reporter)
	// The Go scheduler starts an OS thread whenever it must hand a P to a
	// thread and none is idle, e.g. when a goroutine locked to its thread
	// wakes another locked one. Threads are never ended (but for a locked
	// goroutine that returns), so a pool of idle ones started now serves
	// every later hand-off.
	warmThreads(8)
	// A worker's start: detection, a first heap read and trim, before any phase.
	between()
	reporter <- struct{}{}
	<-reporter
	settle()
	count("between phases, before any", none)
	count("fill", func() (int64, int64) {
		r, err := e.Fill(fill, time.Hour)
		fail(err)
		return r.Count, 0
	})
	count("between phases", none)
	count("free every other", malloc(Selection{Pattern: EveryNth, N: 2}))
	count("between phases", none)
	count("free keep-one-per-page", malloc(Selection{Pattern: KeepOnePerPage}))
	count("between phases", none)
	count("fill mmap and madvise", func() (int64, int64) {
		_, err := e.Fill(FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: 8192}, MaxCount: 100, Touch: true}, time.Hour)
		fail(err)
		_, _, err = e.Madvise(Selection{Pattern: All}, AdviceDontneed)
		fail(err)
		return 0, 0
	})
	count("free all", func() (int64, int64) {
		malloced := c.Load().LiveObjects - 100
		_, _, err := e.Free(Selection{Pattern: All})
		fail(err)
		return 0, malloced
	})
	count("between phases", none)
	count("heap read from another thread", func() (int64, int64) {
		reporter <- struct{}{}
		<-reporter
		return 0, 0
	})
	// What a worker must not do between phases: start an OS thread. More
	// goroutines lock threads at once than there are idle ones; the runtime
	// starts each missing thread through runtime/cgo's malloc'd start block
	// (freed by the new thread) and pthread_create (calloc of its DTV).
	count("lock more threads than idle", func() (int64, int64) {
		warmThreads(24)
		settle()
		return 0, 0
	})
	rep.Windows[len(rep.Windows)-1].NewThreads = true
	fail(e.Close())
	return rep
}

// warmThreads leaves n more idle OS threads to the Go scheduler: n
// goroutines lock n distinct threads at once, then unlock and return, which
// parks the threads instead of ending them.
func warmThreads(n int) {
	locked, release := make(chan struct{}), make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			runtime.LockOSThread()
			locked <- struct{}{}
			<-release
			runtime.UnlockOSThread()
		}()
	}
	for i := 0; i < n; i++ {
		<-locked
	}
	close(release)
}

func TestMallocCountsUnderInterposer(t *testing.T) {
	lib := buildMallocCounter(t)
	for _, tc := range []struct{ name, lib string }{
		{NameGlibc, ""},
		{NameJemalloc, "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"},
		{NameTcmalloc, "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"},
		{NameMimalloc, "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			preload := lib
			if tc.lib != "" {
				requireLib(t, tc.lib)
				preload += ":" + tc.lib
			}
			rep := runCountHelper(t, preload)
			if rep.Allocator.Name != tc.name {
				t.Fatalf("Detect() behind the interposer = %+v, want %s", rep.Allocator, tc.name)
			}
			for _, w := range rep.Windows {
				if w.NewThreads {
					// Each new thread: one malloc'd start block and the
					// calloc'd DTV, both by the creating thread; the new
					// thread frees the start block when it first runs.
					if d := w.ThreadsAfter - w.ThreadsBefore; d < 1 || w.All[0] < uint64(d) || w.All[1] < uint64(d) || w.All[3] < 1 {
						t.Errorf("%s: %d new OS threads, %s; want at least one thread, a malloc and a calloc per thread, and frees", w.Name, d, w.All)
					}
					t.Logf("%-30s %s (OS threads %d -> %d)", w.Name, w.All, w.ThreadsBefore, w.ThreadsAfter)
					continue
				}
				want := mallocCounts{0: uint64(w.Mallocs), 3: uint64(w.Frees)}
				// The calling thread made the engine's calls and nothing else.
				if w.Name != "heap read from another thread" && w.Thread != want {
					t.Errorf("%s: calling thread made %s; want %s", w.Name, w.Thread, want)
				}
				// Every thread: the same, but for frees of runtime/cgo's
				// thread start blocks, which a thread started before the
				// window makes when it first runs (late under heavy CPU
				// load); no thread may start inside the window.
				got := w.All
				late := got[3] - got[8] - want[3]
				if got[3]-got[8] >= want[3] && late <= uint64(w.ThreadsBefore) {
					got[3] = want[3]
				}
				got[8] = 0
				if got != want || w.ThreadsAfter != w.ThreadsBefore {
					t.Errorf("%s: %s; want %s (calling thread: %s; OS threads %d -> %d)",
						w.Name, w.All, want, w.Thread, w.ThreadsBefore, w.ThreadsAfter)
				}
				if w.All[8] != 0 {
					t.Errorf("%s: %d free(NULL) calls", w.Name, w.All[8])
				}
				if late > 0 {
					t.Logf("%s: %d free(s) from other threads (late thread start-ups)", w.Name, late)
				}
				t.Logf("%-30s %s", w.Name, w.All)
			}
		})
	}
}

// buildMallocCounter compiles testdata/malloccount.c into a shared library.
func buildMallocCounter(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		if os.Getenv("MEMSTORM_CI") == "1" {
			t.Fatalf("MEMSTORM_CI=1 but no C compiler: %v", err)
		}
		t.Skipf("no C compiler (cc) on PATH: %v", err)
	}
	src, err := filepath.Abs("testdata/malloccount.c")
	if err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(t.TempDir(), "libmalloccount.so")
	if out, err := exec.Command(cc, "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o", lib, src, "-ldl").CombinedOutput(); err != nil {
		t.Fatalf("compiling %s: %v\n%s", src, err, out)
	}
	return lib
}

// requireLib skips when an allocator library is missing, and fails under MEMSTORM_CI=1.
func requireLib(t *testing.T, lib string) {
	t.Helper()
	if _, err := os.Stat(lib); err != nil {
		if os.Getenv("MEMSTORM_CI") == "1" {
			t.Fatalf("MEMSTORM_CI=1 but %s is missing: %v", lib, err)
		}
		t.Skipf("%s not installed: %v", lib, err)
	}
}

func runCountHelper(t *testing.T, preload string) countReport {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=malloccount", "LD_PRELOAD="+preload)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper under LD_PRELOAD=%s: %v\n%s", preload, err, out)
	}
	var rep countReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	if rep.Err != "" {
		t.Fatalf("helper under LD_PRELOAD=%s: %s", preload, rep.Err)
	}
	return rep
}
