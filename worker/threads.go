package worker

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/alloc"
)

// Threads that exit holding memory (restart_threads: true). A worker
// thread is a goroutine locked to its OS thread; when it returns still
// locked, Go ends the OS thread, and the thread's exit runs the allocator's
// per-thread teardown: glibc frees the thread's tcache and puts its arena
// on the free list (the next thread without an arena takes it), jemalloc
// flushes the thread's tcache and unbinds it from its arena, tcmalloc
// returns its thread cache to the central lists, mimalloc abandons the
// thread's heap pages for another thread to reclaim. The objects stay live:
// an Engine is not bound to a thread (alloc.Engine), so the new OS thread
// takes over the old one's objects and frees them later like its own.

// threadExitWait bounds how long a restart waits for an old thread to
// disappear from /proc/self/task.
const threadExitWait = 5 * time.Second

// restartThreads ends threads 1..N-1 (in a turns group, only the running
// one; thread 0 is the process's main thread and never exits) and starts a
// new OS thread for each, which adopts the old thread's engine. It returns
// once every old thread is gone from /proc/self/task, so that the
// allocator's thread teardown has run before the next step.
func (p *workerPool) restartThreads() (stepResult, error) {
	ts := p.threads[1:]
	if p.turn > 0 {
		ts = nil
		if p.turn > 1 {
			ts = []*thread{p.threads[p.turn-1]}
		}
	}
	for _, t := range ts {
		var tid int
		t.cmds <- func(*alloc.Engine) { tid = unix.Gettid() }
		<-t.done
		close(t.cmds) // the loop returns; Go ends its locked OS thread
		if err := waitThreadGone(tid); err != nil {
			return stepResult{}, fmt.Errorf("thread %d: %w", t.idx, err)
		}
		t.cmds, t.done = make(chan func(*alloc.Engine)), make(chan struct{})
		started := make(chan int)
		go t.adopt(started)
		if newTid := <-started; newTid == tid {
			return stepResult{}, fmt.Errorf("thread %d: the new thread has the old thread's id %d", t.idx, tid)
		}
	}
	return stepResult{}, nil
}

// adopt is a thread's loop on a fresh OS thread that takes over t.eng.
func (t *thread) adopt(started chan<- int) {
	runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
	started <- unix.Gettid()
	for f := range t.cmds {
		f(t.eng)
		t.done <- struct{}{}
	}
}

// waitThreadGone waits until /proc/self/task/TID no longer exists.
func waitThreadGone(tid int) error {
	path := fmt.Sprintf("/proc/self/task/%d", tid)
	deadline := time.Now().Add(threadExitWait)
	for {
		_, err := os.Stat(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checking that thread %d exited: %w", tid, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thread %d still in %s after %v", tid, path, threadExitWait)
		}
		time.Sleep(time.Millisecond)
	}
}
