package worker

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/wire"
)

// A measuring tool must not disturb what it measures: between the start of
// the first phase and the end of the last, nothing of the worker's own may
// call the allocator under test. Its buffers are Go's (mmap'd, not malloc)
// or the engine's (mmap'd); its introspection calls do not allocate (see
// package alloc); and no OS thread starts during the phases, since glibc's
// pthread_create allocates the new thread's TLS vector with calloc, from
// the arena under test.

// idleThreads is how many idle OS threads the worker parks before the
// first phase, so that the Go runtime finds one whenever it must hand a
// processor to a thread (a goroutine blocked in a cgo call or a syscall)
// instead of starting a new one. Eight covered every case measured (see
// alloc's malloc-count test); GOMAXPROCS bounds what runs at once.
const idleThreads = 8

// warmThreads makes the runtime start n OS threads at once and park them
// idle: n goroutines lock themselves to n distinct threads, wait for each
// other, then unlock and return, which leaves the threads in the idle pool
// (a goroutine that returns while locked would end its thread instead).
func warmThreads(n int) {
	var ready, release sync.WaitGroup
	ready.Add(n)
	release.Add(1)
	var done sync.WaitGroup
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			ready.Done()
			release.Wait()
			runtime.UnlockOSThread()
		}()
	}
	ready.Wait()
	release.Done()
	done.Wait()
	settle()
}

// settle waits until threads started just before have finished starting.
// Go's cgo runtime mallocs a small start record on the creating thread and
// the new thread frees it when it first runs: a thread the runtime started
// a moment ago would free into the heap under test during the first phase.
// Under the counting interposer settle waits until the counts stand still;
// without it, a few milliseconds, which is what a thread start takes.
func settle() {
	const step = 2 * time.Millisecond
	last, ok := alloc.MallocCalls()
	if !ok {
		settleThreads(5 * step)
		return
	}
	for stable, tries := 0, 0; stable < 3 && tries < 100; tries++ {
		time.Sleep(step)
		n, _ := alloc.MallocCalls()
		if n == last {
			stable++
		} else {
			stable, last = 0, n
		}
	}
}

// settleThreads waits, at most bound, until no thread of the worker but
// the caller is runnable (state R in /proc/self/task/*/stat). A new thread
// starts runnable and frees its start record as the first thing it runs;
// once it has run and parked (S), the free is behind it. Under load a new
// thread can wait milliseconds for a CPU: then this waits as long, where
// it costs nothing otherwise (the fixed 10 ms it replaces were a fifth of
// the worker's start-up). Where the task files cannot be read it sleeps
// the bound.
func settleThreads(bound time.Duration) {
	self := strconv.Itoa(unix.Gettid())
	buf := make([]byte, 512)
	for start := time.Now(); time.Since(start) < bound; time.Sleep(250 * time.Microsecond) {
		busy, err := otherRunnable(self, buf)
		if err != nil {
			time.Sleep(bound - time.Since(start))
			return
		}
		if !busy {
			return
		}
	}
}

// otherRunnable reports whether a thread of this process other than self
// is runnable or has not run yet.
func otherRunnable(self string, buf []byte) (bool, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return false, fmt.Errorf("listing the worker's threads: %w", err)
	}
	for _, e := range ents {
		if e.Name() == self {
			continue
		}
		st, err := taskState("/proc/self/task/"+e.Name()+"/stat", buf)
		if err != nil {
			continue // the thread ended meanwhile
		}
		if st == 'R' {
			return true, nil
		}
	}
	return false, nil
}

// taskState reads the state letter of a /proc/<pid>/task/<tid>/stat: the
// field after the command name, which ends at the last ')'.
func taskState(path string, buf []byte) (byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	n, err := f.Read(buf)
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	b := buf[:n]
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("%s: no state after the command name", path)
	}
	return b[i+2], nil
}

// callCount measures HarnessCalls: the malloc-family calls made during the
// phases that were not the engine's own, under the counting interposer.
type callCount struct {
	ok          bool
	calls, eng0 int64
}

// startCallCount reads the counts before the first phase. The figure is
// exact only when every allocation is one call (malloc, calloc,
// posix_memalign): the realloc backend makes a chain of calls per object,
// and mmap and Go objects make none.
func startCallCount(sc *scenarios.Scenario, page *wire.StatusPage) callCount {
	for _, st := range sc.Steps() {
		if a := st.Phase.Allocate; a != nil {
			switch a.Via {
			case scenarios.ViaMalloc, scenarios.ViaCalloc, scenarios.ViaPosixMemalign:
			default:
				return callCount{}
			}
		}
	}
	n, ok := alloc.MallocCalls()
	return callCount{ok: ok, calls: n, eng0: engineCalls(page.Totals())}
}

// engineCalls is the calls the engine made: one per allocation (failed
// ones too) and one per object freed.
func engineCalls(t wire.LiveTotals) int64 {
	frees := t.AllocOps - t.Objects
	return t.AllocOps + t.Failures + frees
}

// harness is the calls made since startCallCount by anything but the
// engine; nil when they were not counted.
func (c callCount) harness(page *wire.StatusPage) *int64 {
	if !c.ok {
		return nil
	}
	n, _ := alloc.MallocCalls()
	h := (n - c.calls) - (engineCalls(page.Totals()) - c.eng0)
	return &h
}
