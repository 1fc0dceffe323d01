package worker

import (
	"runtime"
	"sync"
	"time"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/wire"
)

// heapReporter refreshes the allocator's heap figures in the status page
// every sample interval, so the supervisor's samples carry them.
type heapReporter struct {
	page *wire.StatusPage
	a    alloc.Allocator
	mu   sync.Mutex
	done chan struct{}
	wg   sync.WaitGroup
}

func startHeapReporter(page *wire.StatusPage, a alloc.Allocator, every time.Duration) *heapReporter {
	r := &heapReporter{page: page, a: a, done: make(chan struct{})}
	r.refresh()
	r.wg.Add(1)
	started := make(chan struct{})
	go func() {
		defer r.wg.Done()
		// One thread of its own for the whole run, started before the
		// first phase: no thread starts (and mallocs) while phases run.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		close(started)
		for {
			// glibc's mallinfo2 walks every free chunk holding the arena
			// lock that the allocating threads need: with a heap of 100k
			// holes it takes milliseconds, and refreshing it every 10 ms
			// slowed a free phase tenfold. Its duty cycle is therefore kept
			// under heapBudget; phase ends refresh it anyway.
			t0 := time.Now()
			r.refresh()
			wait := max(every, time.Duration(float64(time.Since(t0))/heapBudget))
			select {
			case <-r.done:
				return
			case <-time.After(wait):
			}
		}
	}()
	<-started
	return r
}

// heapBudget is the share of time the heap reporter may hold the allocator.
const heapBudget = 0.01

func (r *heapReporter) refresh() alloc.HeapStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := alloc.Heap(r.a)
	r.page.SetHeap(h)
	return h
}

func (r *heapReporter) stop() { close(r.done); r.wg.Wait() }
