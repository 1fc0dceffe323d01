package worker

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/wire"
)

// Main runs the worker side of a run and returns the process exit
// code. Everything it learns goes to the supervisor over the event pipe; its
// standard error is kept by the supervisor as worker.log.
func Main() int {
	if err := runWorker(); err != nil {
		fmt.Fprintf(os.Stderr, "memstorm worker: %v\n", err)
		return 1
	}
	return 0
}

func runWorker() error {
	runtime.LockOSThread() // the main thread, when main locked it at init
	events := os.NewFile(wire.FDEvents, "events")
	control := os.NewFile(wire.FDControl, "control")
	ctl := bufio.NewReader(control)

	// Wait until the supervisor has placed us in the cgroup and set our
	// oom_score_adj: nothing is read or allocated before this byte, the
	// scenario included, so that all of it is charged to the run's cgroup.
	if err := expectByte(ctl, wire.CtlGo); err != nil {
		return fmt.Errorf("waiting for the supervisor's go: %w", err)
	}
	var spec wire.Spec
	if err := json.NewDecoder(os.Stdin).Decode(&spec); err != nil {
		return fmt.Errorf("reading the worker spec from stdin: %w", err)
	}
	sc := spec.Scenario
	if sc == nil || sc.Workers < 1 {
		return fmt.Errorf("worker spec holds no valid scenario")
	}
	// Before anything is allocated for the scenario (the supervisor set
	// it before starting the worker already, so that the Go runtime's
	// first pages have it too).
	if _, err := SetTHP(sc.THP); err != nil {
		return err
	}
	page, err := wire.MapStatusPage(os.NewFile(wire.FDStatus, "status"), sc.Workers)
	if err != nil {
		return err
	}
	out := wire.NewMessageWriter(events, spec.Proc)
	if err := alloc.SetFileDirs(spec.FileDir, spec.TmpfsDir); err != nil {
		return err
	}
	for name, v := range sc.Mallopt {
		if err := alloc.Mallopt(name, v); err != nil {
			return fmt.Errorf("mallopt %s=%d: %w", name, v, err)
		}
	}
	if len(sc.HugeTLB) > 0 {
		if err := alloc.DieOfSIGBUS(); err != nil {
			return err
		}
	}
	a := alloc.Detect()
	if err := out.Send(wire.Message{Kind: wire.MsgHello, AllocName: a.Name, AllocVersion: a.Version, AllocPath: a.Path}); err != nil {
		return err
	}

	var usage *os.File
	if spec.HasUsage {
		usage = os.NewFile(wire.FDUsage, "cgroup-usage")
	}
	w, err := newWorkerPool(sc, page, usage, spec.LimitBytes, spec.Proc, max(spec.Procs, 1), a.Name != allocators.Mimalloc)
	if err != nil {
		_ = out.Send(wire.Message{Kind: wire.MsgError, Detail: err.Error()})
		return err
	}
	// Twice per sample interval: a sample's heap figures are then at most
	// half an interval old (mallinfo2 walks glibc's free lists, so it is
	// not free: about 0.3 ms with 65k free chunks).
	rep := startHeapReporter(page, a, max(sc.SampleEvery.D()/2, 2*time.Millisecond))
	defer rep.stop()
	// Every thread the run needs exists now: the Go runtime need not start
	// one during the phases, which would call malloc from the heap under
	// test (glibc allocates a new thread's TLS vector with calloc).
	warmThreads(idleThreads)
	// The rlimits last: they count the worker's own mappings (thread
	// stacks included) as its base, and a thread started under a tight
	// RLIMIT_AS would fail to start.
	if err := setRlimits(sc.Rlimits); err != nil {
		_ = out.Send(wire.Message{Kind: wire.MsgError, Detail: err.Error()})
		return err
	}
	calls := startCallCount(sc, page)

	for _, st := range sc.Steps() {
		// A replay's trace is decoded before its phase starts: the phase's
		// samples are then of the replay alone.
		if err := w.prepare(st); err != nil {
			_ = out.Send(wire.Message{Kind: wire.MsgError, Step: st.Index, Name: st.Name, Detail: err.Error()})
			return fmt.Errorf("phase %s: %w", st.Name, err)
		}
		page.SetStep(st.Index)
		w.resetTransient()
		if err := out.Send(wire.Message{Kind: wire.MsgPhaseStart, Step: st.Index, Name: st.Name}); err != nil {
			return err
		}
		res, err := w.run(st, a)
		if err != nil {
			_ = out.Send(wire.Message{Kind: wire.MsgError, Step: st.Index, Name: st.Name, Detail: err.Error()})
			return fmt.Errorf("phase %s: %w", st.Name, err)
		}
		h := rep.refresh()
		tot := page.Totals()
		for _, m := range res.notes {
			m.Step, m.Name, m.Live = st.Index, st.Name, tot.Live
			if err := out.Send(m); err != nil {
				return err
			}
		}
		end := wire.Message{Kind: wire.MsgPhaseEnd, Step: st.Index, Name: st.Name, Live: tot.Live,
			HeapInuse: h.InUse, HeapHeld: h.Held, HeapRetained: h.Retained, Bookkeeping: tot.Bookkeeping}
		if err := out.Send(end); err != nil {
			return err
		}
		if err := expectByte(ctl, wire.CtlAck); err != nil {
			return fmt.Errorf("waiting for the supervisor's ack of phase %s: %w", st.Name, err)
		}
	}
	tot := page.Totals()
	return out.Send(wire.Message{Kind: wire.MsgDone, Step: -1, Live: tot.Live, Bookkeeping: tot.Bookkeeping,
		HarnessCalls: calls.harness(page)})
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

// workerPool is the worker's threads, each a goroutine locked to its own OS
// thread with its own allocation engine (so glibc gives each its own arena).
type workerPool struct {
	sc         *scenarios.Scenario
	page       *wire.StatusPage
	usage      *os.File
	limit      int64
	threads    []*thread
	turn       int // the running step's Turn: 0 all threads, k only thread k-1
	proc       int // this process's index, of procs (scenario processes:)
	procs      int
	nextReplay *alloc.Replay // the next replay step's trace, decoded (replay.go)
}

type thread struct {
	idx       int
	main      bool  // runs on the caller (the process's main thread), not on a goroutine of its own
	lastAlloc int64 // objects the latest allocate step added on this thread
	eng       *alloc.Engine
	cmds      chan func(*alloc.Engine)
	done      chan struct{}
}

// newWorkerPool starts the worker's threads. With onMain, thread 0 is the
// calling thread: the process's main thread (main locks it at init), so
// that a one-thread scenario allocates as a plain C program's main() would:
// from glibc's main arena, from jemalloc's arena 0 (a fresh thread is given
// another arena, whose neighbours left 122 MiB after eat-and-return's
// free-all where the main thread and the C twin leave 106 and 105).
// mimalloc gets a thread 0 of its own instead: its segments belong to the
// thread that made them, the main thread's already hold the Go runtime's
// early allocations (the TLS vectors glibc callocs for each thread it
// starts), and one live object keeps the segment the fill shares with it
// committed after every free (34 MiB after a trim where the twin has 0.2).
func newWorkerPool(sc *scenarios.Scenario, page *wire.StatusPage, usage *os.File, limit int64, proc, procs int, onMain bool) (*workerPool, error) {
	p := &workerPool{sc: sc, page: page, usage: usage, limit: limit, proc: proc, procs: procs}
	// Every thread of every process draws from its own seeded stream.
	seed := func(i int) uint64 { return sc.Seed + uint64(proc*sc.Workers+i)*0x9e3779b97f4a7c15 }
	for i := 0; i < sc.Workers; i++ {
		t := &thread{idx: i, cmds: make(chan func(*alloc.Engine)), done: make(chan struct{})}
		if i == 0 && onMain {
			t.main = true
			eng, err := alloc.NewEngine(seed(0), page.Counters(0))
			if err != nil {
				return nil, fmt.Errorf("starting worker thread 0: %w", err)
			}
			t.eng = eng
			p.threads = append(p.threads, t)
			continue
		}
		errc := make(chan error, 1)
		go t.loop(seed(i), page.Counters(i), errc)
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
	for _, t := range p.threads {
		if !t.main {
			t.cmds <- func(e *alloc.Engine) { f(t, e) }
		}
	}
	if t0 := p.threads[0]; t0.main {
		f(t0, t0.eng)
	}
	for _, t := range p.threads {
		if !t.main {
			<-t.done
		}
	}
}

// eachErr is each for steps that can fail: it returns the first error, with
// the thread that met it.
func (p *workerPool) eachErr(f func(t *thread, e *alloc.Engine) error) error {
	var mu sync.Mutex
	var first error
	p.each(func(t *thread, e *alloc.Engine) {
		if err := f(t, e); err != nil {
			mu.Lock()
			if first == nil {
				first = fmt.Errorf("thread %d: %w", t.idx, err)
			}
			mu.Unlock()
		}
	})
	return first
}

// resetTransient starts each thread's transient harness peak afresh, so
// that a phase's figure is its own.
func (p *workerPool) resetTransient() {
	for _, t := range p.threads {
		if t.eng != nil {
			t.eng.ResetTransientPeak()
		}
	}
}

// stepResult carries what a step noticed that the supervisor must record.
type stepResult struct {
	notes []wire.Message
}

func (p *workerPool) run(st scenarios.Step, a alloc.Allocator) (stepResult, error) {
	ph := st.Phase
	p.turn = st.Turn
	switch {
	case ph.Allocate != nil:
		return p.allocate(st.ScaledAllocate())
	case ph.Free != nil:
		return p.free(ph.Free)
	case ph.Madvise != nil:
		return p.madvise(ph.Madvise)
	case ph.Trim:
		return p.trim(a)
	case ph.RestartThreads:
		return p.restartThreads()
	case ph.Replay != nil:
		return p.replay(st)
	case ph.Hold.D() > 0:
		time.Sleep(ph.Hold.D())
		return stepResult{}, nil
	}
	return stepResult{}, fmt.Errorf("phase %q has no action", st.Name)
}

func (p *workerPool) madvise(m *scenarios.Madvise) (stepResult, error) {
	sel, err := Selection(m.Selection, p.sc.Seed)
	if err != nil {
		return stepResult{}, err
	}
	adv, err := toAdvice(m.Advice)
	if err != nil {
		return stepResult{}, err
	}
	err = p.eachErr(func(t *thread, e *alloc.Engine) error {
		sel := sel
		sel.Seed += uint64(t.idx)
		_, _, err := e.Madvise(sel, adv)
		return err
	})
	return stepResult{}, err
}

// allocate runs an allocate phase on every thread until its stop condition.
// Byte and count targets are split evenly between threads; the duration,
// the limit share, ENOMEM and an OOM kill stop all of them.
func (p *workerPool) allocate(a *scenarios.Allocate) (stepResult, error) {
	spec, err := FillSpec(a)
	if err != nil {
		return stepResult{}, err
	}
	f := &fill{a: a, spec: spec, n: p.sharing(), limitAt: -1, limit: p.limit, usage: p.usage}
	if d := a.Until.Duration.D(); d > 0 {
		f.deadline = time.Now().Add(d)
	}
	if a.Until.Limit > 0 {
		if p.limit <= 0 || p.usage == nil {
			return stepResult{}, fmt.Errorf("until limit %v needs a cgroup limit, and this run has none", a.Until.Limit)
		}
		f.limitAt = int64(float64(p.limit) * float64(a.Until.Limit) / 100)
	}
	err = p.eachErr(func(t *thread, e *alloc.Engine) error {
		err := f.run(t, e, p.shareIndex(t))
		if err != nil {
			f.stop.Store(true)
		}
		return err
	})
	return stepResult{notes: f.notes}, err
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
