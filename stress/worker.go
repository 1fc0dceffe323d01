package stress

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/procfs"
)

// workerEnv is the environment variable that turns a re-executed memstorm
// binary (or test binary) into a worker.
const workerEnv = "MEMSTORM_WORKER"

// IsWorker reports whether this process was started as a memstorm worker.
// main (and TestMain of packages whose tests start runs) calls it first and,
// when true, hands over to WorkerMain.
func IsWorker() bool { return os.Getenv(workerEnv) == "1" }

// workerSpec is what the supervisor sends the worker on its standard input.
type workerSpec struct {
	Scenario   *Scenario `json:"scenario"`
	LimitBytes int64     `json:"limit_bytes"` // the run's hard limit, -1 when none
	HasUsage   bool      `json:"has_usage"`   // fdUsage is open on the cgroup's usage file
}

// WorkerMain runs the worker side of a run and returns the process exit
// code. Everything it learns goes to the supervisor over the event pipe; its
// standard error is kept by the supervisor as worker.log.
func WorkerMain() int {
	if err := runWorker(); err != nil {
		fmt.Fprintf(os.Stderr, "memstorm worker: %v\n", err)
		return 1
	}
	return 0
}

func runWorker() error {
	runtime.LockOSThread() // the main thread, when main locked it at init
	var spec workerSpec
	if err := json.NewDecoder(os.Stdin).Decode(&spec); err != nil {
		return fmt.Errorf("reading the worker spec from stdin: %w", err)
	}
	sc := spec.Scenario
	if sc == nil || sc.Workers < 1 {
		return fmt.Errorf("worker spec holds no valid scenario")
	}
	events := os.NewFile(fdEvents, "events")
	control := os.NewFile(fdControl, "control")
	page, err := mapStatusPage(os.NewFile(fdStatus, "status"), sc.Workers)
	if err != nil {
		return err
	}
	out := messageWriter{w: events}
	ctl := bufio.NewReader(control)

	// Wait until the supervisor has placed us in the cgroup and set our
	// oom_score_adj: nothing is allocated before this byte.
	if err := expectByte(ctl, ctlGo); err != nil {
		return fmt.Errorf("waiting for the supervisor's go: %w", err)
	}
	if err := setRlimits(sc.Rlimits); err != nil {
		return err
	}
	for name, v := range sc.Mallopt {
		if err := alloc.Mallopt(name, v); err != nil {
			return fmt.Errorf("mallopt %s=%d: %w", name, v, err)
		}
	}
	a := alloc.Detect()
	if err := out.send(message{Kind: msgHello, AllocName: a.Name, AllocVersion: a.Version, AllocPath: a.Path}); err != nil {
		return err
	}

	var usage *os.File
	if spec.HasUsage {
		usage = os.NewFile(fdUsage, "cgroup-usage")
	}
	w, err := newWorkerPool(sc, page, usage, spec.LimitBytes)
	if err != nil {
		_ = out.send(message{Kind: msgError, Detail: err.Error()})
		return err
	}
	// Twice per sample interval: a sample's heap figures are then at most
	// half an interval old (mallinfo2 walks glibc's free lists, so it is
	// not free: about 0.3 ms with 65k free chunks).
	rep := startHeapReporter(page, a, max(sc.SampleEvery.D()/2, 2*time.Millisecond))
	defer rep.stop()

	for _, st := range sc.Steps() {
		page.store(hdrStep, int64(st.Index))
		if err := out.send(message{Kind: msgPhaseStart, Step: st.Index, Name: st.Name}); err != nil {
			return err
		}
		res, err := w.run(st, a)
		if err != nil {
			_ = out.send(message{Kind: msgError, Step: st.Index, Name: st.Name, Detail: err.Error()})
			return fmt.Errorf("phase %s: %w", st.Name, err)
		}
		h := rep.refresh()
		tot := page.totals()
		for _, m := range res.notes {
			m.Step, m.Name, m.Live = st.Index, st.Name, tot.Live
			if err := out.send(m); err != nil {
				return err
			}
		}
		end := message{Kind: msgPhaseEnd, Step: st.Index, Name: st.Name, Live: tot.Live,
			HeapInuse: h.InUse, HeapHeld: h.Held, HeapRetained: h.Retained, Bookkeeping: tot.Bookkeeping}
		if err := out.send(end); err != nil {
			return err
		}
		if err := expectByte(ctl, ctlAck); err != nil {
			return fmt.Errorf("waiting for the supervisor's ack of phase %s: %w", st.Name, err)
		}
	}
	tot := page.totals()
	return out.send(message{Kind: msgDone, Step: -1, Live: tot.Live, Bookkeeping: tot.Bookkeeping})
}

func expectByte(r io.ByteReader, want byte) error {
	b, err := r.ReadByte()
	if err != nil {
		return err
	}
	if b != want {
		return fmt.Errorf("got control byte %q, want %q", b, want)
	}
	return nil
}

// heapReporter refreshes the allocator's heap figures in the status page
// every sample interval, so the supervisor's samples carry them.
type heapReporter struct {
	page *statusPage
	a    alloc.Allocator
	mu   sync.Mutex
	done chan struct{}
	wg   sync.WaitGroup
}

func startHeapReporter(page *statusPage, a alloc.Allocator, every time.Duration) *heapReporter {
	r := &heapReporter{page: page, a: a, done: make(chan struct{})}
	r.refresh()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
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
	return r
}

// heapBudget is the share of time the heap reporter may hold the allocator.
const heapBudget = 0.01

func (r *heapReporter) refresh() alloc.HeapStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := alloc.Heap(r.a)
	r.page.setHeap(h)
	return h
}

func (r *heapReporter) stop() { close(r.done); r.wg.Wait() }

// workerPool is the worker's threads, each a goroutine locked to its own OS
// thread with its own allocation engine (so glibc gives each its own arena).
type workerPool struct {
	sc      *Scenario
	page    *statusPage
	usage   *os.File
	limit   int64
	threads []*thread
	turn    int // the running step's Turn: 0 all threads, k only thread k-1
}

type thread struct {
	idx       int
	lastAlloc int64 // objects the latest allocate step added on this thread
	eng       *alloc.Engine
	cmds      chan func(*alloc.Engine)
	done      chan struct{}
}

func newWorkerPool(sc *Scenario, page *statusPage, usage *os.File, limit int64) (*workerPool, error) {
	p := &workerPool{sc: sc, page: page, usage: usage, limit: limit}
	for i := 0; i < sc.Workers; i++ {
		t := &thread{idx: i, cmds: make(chan func(*alloc.Engine)), done: make(chan struct{})}
		if i == 0 {
			// Thread 0 is the calling thread: the process's main thread
			// (main locks it at init), so a one-thread scenario allocates
			// from glibc's main arena as a plain C program's main() would.
			eng, err := alloc.NewEngine(sc.Seed, page.counters(0))
			if err != nil {
				return nil, fmt.Errorf("starting worker thread 0: %w", err)
			}
			t.eng = eng
			p.threads = append(p.threads, t)
			continue
		}
		errc := make(chan error, 1)
		go t.loop(sc.Seed+uint64(i)*0x9e3779b97f4a7c15, page.counters(i), errc)
		if err := <-errc; err != nil {
			return nil, fmt.Errorf("starting worker thread %d: %w", i, err)
		}
		p.threads = append(p.threads, t)
	}
	return p, nil
}

func (t *thread) loop(seed uint64, c *alloc.Counters, errc chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
	eng, err := alloc.NewEngine(seed, c)
	errc <- err
	if err != nil {
		return
	}
	t.eng = eng
	for f := range t.cmds {
		f(eng)
		t.done <- struct{}{}
	}
}

// each runs f on every thread at once (thread 0 on the caller) and waits
// for all of them.
func (p *workerPool) each(f func(t *thread, e *alloc.Engine)) {
	if p.turn > 0 {
		p.alone(p.threads[p.turn-1], f)
		return
	}
	for _, t := range p.threads[1:] {
		t := t
		t.cmds <- func(e *alloc.Engine) { f(t, e) }
	}
	f(p.threads[0], p.threads[0].eng)
	for _, t := range p.threads[1:] {
		<-t.done
	}
}

// stepResult carries what a step noticed that the supervisor must record.
type stepResult struct {
	notes []message
}

func (p *workerPool) run(st Step, a alloc.Allocator) (stepResult, error) {
	ph := st.Phase
	p.turn = st.Turn
	switch {
	case ph.Allocate != nil:
		return p.allocate(ph.Allocate)
	case ph.Free != nil:
		return p.free(ph.Free)
	case ph.Madvise != nil:
		return p.madvise(ph.Madvise)
	case ph.Trim:
		return trim(a)
	case ph.Hold.D() > 0:
		time.Sleep(ph.Hold.D())
		return stepResult{}, nil
	}
	return stepResult{}, fmt.Errorf("phase %q has no action", st.Name)
}

func (p *workerPool) madvise(m *Madvise) (stepResult, error) {
	sel := toSelection(m.Selection, p.sc.Seed)
	adv, err := toAdvice(m.Advice)
	if err != nil {
		return stepResult{}, err
	}
	var mu sync.Mutex
	var firstErr error
	p.each(func(t *thread, e *alloc.Engine) {
		sel := sel
		sel.Seed += uint64(t.idx)
		if _, _, err := e.Madvise(sel, adv); err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("thread %d: %w", t.idx, err)
			}
			mu.Unlock()
		}
	})
	return stepResult{}, firstErr
}

// allocate runs an allocate phase on every thread until its stop condition.
// Byte and count targets are split evenly between threads; the duration,
// the limit share, ENOMEM and an OOM kill stop all of them.
func (p *workerPool) allocate(a *Allocate) (stepResult, error) {
	spec, err := toFillSpec(a)
	if err != nil {
		return stepResult{}, err
	}
	n := p.sharing()
	var deadline time.Time
	if d := a.Until.Duration.D(); d > 0 {
		deadline = time.Now().Add(d)
	}
	var limitAt int64 = -1
	if a.Until.Limit > 0 {
		if p.limit <= 0 || p.usage == nil {
			return stepResult{}, fmt.Errorf("until limit %v needs a cgroup limit, and this run has none", a.Until.Limit)
		}
		limitAt = int64(float64(p.limit) * float64(a.Until.Limit) / 100)
	}
	var stop atomic.Bool
	var mu sync.Mutex
	var notes []message
	var firstErr error
	note := func(m message) {
		mu.Lock()
		notes = append(notes, m)
		mu.Unlock()
	}
	p.each(func(t *thread, e *alloc.Engine) {
		buf := make([]byte, 32)
		share := spec
		share.MaxBytes = splitShare(int64(a.Until.Bytes), n, p.shareIndex(t))
		share.MaxCount = splitShare(a.Until.Count, n, p.shareIndex(t))
		t.lastAlloc = 0
		for !stop.Load() {
			if (a.Until.Bytes > 0 && share.MaxBytes <= 0) || (a.Until.Count > 0 && share.MaxCount <= 0) {
				return
			}
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				return
			}
			if limitAt >= 0 {
				u, err := readUsage(p.usage, buf)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					stop.Store(true)
					return
				}
				if u >= limitAt {
					if !stop.Swap(true) {
						note(message{Kind: msgLimit, Bytes: u, Detail: fmt.Sprintf("cgroup usage %d >= %v of limit %d", u, a.Until.Limit, p.limit)})
					}
					return
				}
			}
			r, err := e.Fill(share, time.Millisecond)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("thread %d: %w", t.idx, err)
				}
				mu.Unlock()
				stop.Store(true)
				return
			}
			t.lastAlloc += r.Count
			if a.Until.Bytes > 0 {
				share.MaxBytes -= r.Bytes
			}
			if a.Until.Count > 0 {
				share.MaxCount -= r.Count
			}
			switch r.Status {
			case alloc.FillDone:
				return
			case alloc.FillENOMEM:
				if !stop.Swap(true) {
					note(message{Kind: msgENOMEM, Bytes: r.FailedSize,
						Detail: fmt.Sprintf("%s of %d bytes failed: %v", a.Via, r.FailedSize, r.Errno)})
				}
				return
			}
		}
	})
	return stepResult{notes: notes}, firstErr
}

// trim runs the allocator's own release and says what it returned: the
// drop of the worker's anonymous RSS (what the kernel got back) and of the
// allocator's heap held (glibc's malloc_trim returns pages inside free
// chunks with madvise, which shrinks RSS but not the heap it reports).
func trim(a alloc.Allocator) (stepResult, error) {
	self := procfs.DefaultFS.Self()
	before, errB := self.Status()
	hb := alloc.Heap(a)
	if err := alloc.Trim(a); err != nil {
		return stepResult{}, fmt.Errorf("trim with %s: %w", a.Name, err)
	}
	after, errA := self.Status()
	ha := alloc.Heap(a)
	m := message{Kind: msgTrim}
	if errB == nil && errA == nil {
		m.Bytes = before.RssAnon - after.RssAnon
		m.Detail = fmt.Sprintf("%s's release returned %s of anonymous RSS", a.Name, FormatBytes(m.Bytes))
	}
	if hb.Held >= 0 && ha.Held >= 0 {
		m.Detail += fmt.Sprintf("; heap held %s to %s", FormatBytes(hb.Held), FormatBytes(ha.Held))
	}
	return stepResult{notes: []message{m}}, nil
}

// splitShare gives thread i of n its part of total.
func splitShare(total, n, i int64) int64 {
	if total <= 0 {
		return 0
	}
	s := total / n
	if i < total%n {
		s++
	}
	return s
}
