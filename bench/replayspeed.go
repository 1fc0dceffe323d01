package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/trace"
)

// replaySpeed: millions of trace operations a second that one replay
// thread runs, on the churn op stream (sizes 16-512 B, 1000 live objects)
// written as a trace, without touching pages (the allocator's cost and the
// engine's, not page faults).
func (b *bench) replaySpeed(_ context.Context, r *Result) error {
	path := filepath.Join(b.cfg.Dir, "churn.trace")
	if err := writeChurnTrace(path, b.ops()); err != nil {
		return err
	}
	defer os.Remove(path)
	var rates []float64
	for i := 0; i < b.cfg.Reps; i++ {
		rate, err := replayOnce(path)
		if err != nil {
			return err
		}
		rates = append(rates, rate/1e6)
	}
	r.ReplayMopsPerSec = median(rates)
	r.spread("replay_mops_per_s", rates)
	return nil
}

// writeChurnTrace writes ops operations: 1000 mallocs, then a free of a
// random live object and a malloc in its place, alternately.
func writeChurnTrace(path string, ops int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := trace.NewWriter(f)
	if err != nil {
		return err
	}
	s := uint64(churnSeed)
	next := func() uint64 { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s }
	size := func() uint64 { return churnMin + next()%(churnMax-churnMin+1) }
	t := int64(0)
	for i := uint32(0); i < churnLive; i++ {
		t += 50
		if err := w.Write(trace.Event{Op: trace.OpMalloc, Time: t, ID: i, Size: size()}); err != nil {
			return err
		}
	}
	for n := int64(churnLive); n < ops; n += 2 {
		id := uint32(next() % churnLive)
		t += 50
		if err := w.Write(trace.Event{Op: trace.OpFree, Time: t, ID: id}); err != nil {
			return err
		}
		if err := w.Write(trace.Event{Op: trace.OpMalloc, Time: t, ID: id, Size: size()}); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

// replayOnce replays the trace at path on a locked OS thread and returns
// its operations a second.
func replayOnce(path string) (float64, error) {
	type res struct {
		rate float64
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		rp, err := alloc.LoadReplay(path, true)
		if err != nil {
			ch <- res{err: err}
			return
		}
		e, err := alloc.NewEngine(1, new(alloc.Counters))
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer e.Close()
		out, err := e.Replay(rp, alloc.ReplayOptions{})
		if err == nil && out.Failures > 0 {
			err = fmt.Errorf("%d allocations failed", out.Failures)
		}
		if _, rerr := e.ReleaseReplay(rp); err == nil {
			err = rerr
		}
		ch <- res{float64(out.Ops) / max(out.Elapsed.Seconds(), 1e-9), err}
	}()
	r := <-ch
	return r.rate, r.err
}
