package worker

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
	"github.com/memstorm/memstorm/wire"
)

// fill is one allocate step shared by the threads that run it.
type fill struct {
	a        *scenarios.Allocate
	spec     alloc.FillSpec
	n        int64 // threads splitting the byte and count targets
	deadline time.Time
	limitAt  int64 // cgroup usage that ends the step, -1 for none
	limit    int64
	usage    *os.File
	stop     atomic.Bool // set by the thread that met ENOMEM, the limit or an error

	mu    sync.Mutex
	notes []wire.Message
}

func (f *fill) note(m wire.Message) {
	f.mu.Lock()
	f.notes = append(f.notes, m)
	f.mu.Unlock()
}

// run fills on thread t, in batches of about a millisecond, until its share
// of the target, the deadline, the limit share or ENOMEM.
func (f *fill) run(t *thread, e *alloc.Engine, share int64) error {
	a := f.a
	buf := make([]byte, 32)
	spec := f.spec
	spec.MaxBytes = splitShare(int64(a.Until.Bytes), f.n, share)
	spec.MaxCount = splitShare(a.Until.Count, f.n, share)
	t.lastAlloc = 0
	for !f.stop.Load() {
		if (a.Until.Bytes > 0 && spec.MaxBytes <= 0) || (a.Until.Count > 0 && spec.MaxCount <= 0) {
			return nil
		}
		if !f.deadline.IsZero() && !time.Now().Before(f.deadline) {
			return nil
		}
		call, capped := spec, false
		if f.limitAt >= 0 {
			u, err := readUsage(f.usage, buf)
			if err != nil {
				return err
			}
			if u >= f.limitAt {
				if !f.stop.Swap(true) {
					f.note(wire.Message{Kind: wire.MsgLimit, Bytes: u, Detail: fmt.Sprintf("cgroup usage %d >= %v of limit %d", u, a.Until.Limit, f.limit)})
				}
				return nil
			}
			// At most this thread's share of what is left to the mark, and
			// of 0.5% of the limit: what the other threads have in flight
			// is then under 0.5% of the limit, so together they pass the
			// mark by that and an object each (and the cgroup's charge
			// lag), not by a batch each.
			step := max(min((f.limitAt-u)/f.n, f.limit/(200*f.n)), 1)
			if call.MaxBytes <= 0 || call.MaxBytes > step {
				call.MaxBytes, capped = step, true
			}
		}
		r, err := e.Fill(call, time.Millisecond)
		if err != nil {
			return err
		}
		t.lastAlloc += r.Count
		if a.Until.Bytes > 0 {
			spec.MaxBytes -= r.Bytes
		}
		if a.Until.Count > 0 {
			spec.MaxCount -= r.Count
		}
		switch r.Status {
		case alloc.FillDone:
			if capped {
				continue // this call's share, not the step's bound
			}
			return nil
		case alloc.FillENOMEM:
			if !f.stop.Swap(true) {
				f.note(wire.Message{Kind: wire.MsgENOMEM, Bytes: r.FailedSize,
					Detail: fmt.Sprintf("%s of %d bytes failed: %v", a.Via, r.FailedSize, r.Errno)})
			}
			return nil
		}
	}
	return nil
}

// trim runs the allocator's own release and says what it returned: the
// drop of the worker's anonymous RSS (what the kernel got back) and of the
// allocator's heap held (glibc's malloc_trim returns pages inside free
// chunks with madvise, which shrinks RSS but not the heap it reports).
// trim asks the allocator to give back what it can: each thread's own
// cache first (jemalloc tcache, tcmalloc thread cache, mimalloc thread
// heap), then the whole heap from thread 0. The trim event says what was
// done and what it returned.
func (p *workerPool) trim(a alloc.Allocator) (stepResult, error) {
	self := procfs.DefaultFS.Self()
	before, errB := self.Status()
	hb := alloc.Heap(a)
	var threadSteps, steps string
	for _, t := range p.threads[1:] {
		p.alone(t, func(t *thread, _ *alloc.Engine) {
			if s, err := alloc.TrimThread(a); err == nil && t.idx == 1 {
				threadSteps = s + " on each other thread; "
			}
		})
	}
	// The whole heap's release, from thread 0: mimalloc collects the heap
	// of the thread that calls it.
	var err error
	p.alone(p.threads[0], func(*thread, *alloc.Engine) { steps, err = alloc.TrimSteps(a) })
	if err != nil {
		return stepResult{}, fmt.Errorf("trim with %s: %w", a.Name, err)
	}
	after, errA := self.Status()
	ha := alloc.Heap(a)
	m := wire.Message{Kind: wire.MsgTrim, Detail: threadSteps + steps}
	if errB == nil && errA == nil {
		m.Bytes = before.RssAnon - after.RssAnon
		m.Detail += fmt.Sprintf(": returned %s of anonymous RSS", units.FormatBytes(m.Bytes))
	}
	if hb.Held >= 0 && ha.Held >= 0 {
		m.Detail += fmt.Sprintf("; heap held %s to %s", units.FormatBytes(hb.Held), units.FormatBytes(ha.Held))
	}
	return stepResult{notes: []wire.Message{m}}, nil
}
