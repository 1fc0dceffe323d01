package worker

import (
	"fmt"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/scenarios"
)

// Cross-thread work: which threads run a step (all, or one at a time in a
// turns group) and which thread frees whose objects (free: {by: next}).
// glibc returns a chunk freed by another thread to the arena it came from,
// but first offers it to the freeing thread's tcache; jemalloc, tcmalloc
// and mimalloc each have their own remote-free path. These steps make
// those paths run.

// alone runs f on thread t only: on the caller for a thread on the main
// thread, else on t's own OS thread.
func (p *workerPool) alone(t *thread, f func(t *thread, e *alloc.Engine)) {
	if t.main {
		f(t, t.eng)
		return
	}
	t.cmds <- func(e *alloc.Engine) { f(t, e) }
	<-t.done
}

// sharing is how many threads, over all worker processes, split a byte or
// count target in this step (in a turns group, one per process).
func (p *workerPool) sharing() int64 {
	if p.turn > 0 {
		return int64(p.procs)
	}
	return int64(len(p.threads) * p.procs)
}

// shareIndex is t's position among the threads that split the target.
func (p *workerPool) shareIndex(t *thread) int64 {
	if p.turn > 0 {
		return int64(p.proc)
	}
	return int64(p.proc*len(p.threads) + t.idx)
}

// owner returns the thread whose objects t frees under by.
func (p *workerPool) owner(t *thread, by scenarios.By) *thread {
	if by == scenarios.ByNext {
		return p.threads[(t.idx+1)%len(p.threads)]
	}
	return t
}

// free runs a free step. Each running thread frees from its owner's objects
// (its own, or thread i+1's under by: next); under among: last-allocate the
// pattern only sees the objects the owner's latest allocate step added.
// With by: next every owner is freed by exactly one thread and its own
// thread is busy freeing someone else's, so no engine is used by two
// threads at once; in a turns group the owner is idle.
func (p *workerPool) free(f *scenarios.Free) (stepResult, error) {
	base, err := Selection(f.Selection, p.sc.Seed)
	if err != nil {
		return stepResult{}, err
	}
	err = p.eachErr(func(t *thread, e *alloc.Engine) error {
		src := p.owner(t, f.By)
		sel := base
		sel.Seed += uint64(src.idx)
		if f.Among == scenarios.AmongLastAllocate {
			if src.lastAlloc <= 0 {
				return nil // the owner allocated nothing: nothing to choose from
			}
			sel.Last = src.lastAlloc
		}
		_, n, err := e.FreeFrom(src.eng, sel)
		if f.Among == scenarios.AmongLastAllocate {
			src.lastAlloc -= n
		}
		if err != nil {
			return fmt.Errorf("freeing thread %d's objects: %w", src.idx, err)
		}
		return nil
	})
	return stepResult{}, err
}
