package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/memstorm/memstorm/alloc"
)

// The malloc/free op stream of the issue: sizes 16-512 B, 1000 live slots.
const (
	churnLive = 1000
	churnMin  = 16
	churnMax  = 512
	churnSeed = 1
	churnOps  = 5_000_000
)

var churnDist = alloc.Dist{Kind: alloc.Uniform, Min: churnMin, Max: churnMax}

func (b *bench) ops() int64 { return max(int64(float64(churnOps)*b.cfg.Scale), 1000) }

// engineChurn runs the op stream through a fresh engine on a locked OS
// thread pinned to cpu (-1: unpinned) and returns the seconds of the one
// Churn call.
func engineChurn(seed uint64, ops int64, cpu int) (float64, error) {
	type res struct {
		s   float64
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var s float64
		err := onCPU(cpu, func() error {
			e, err := alloc.NewEngine(seed, new(alloc.Counters))
			if err != nil {
				return err
			}
			defer e.Close()
			t0 := time.Now()
			failed, err := e.Churn(churnDist, churnLive, ops)
			s = time.Since(t0).Seconds()
			if err == nil && failed != 0 {
				err = fmt.Errorf("%d mallocs failed", failed)
			}
			return err
		})
		ch <- res{s, err}
	}()
	r := <-ch
	return r.s, r.err
}

// runCref runs the C reference with args, pinned to the bench's CPU, and
// returns the seconds it printed.
func (b *bench) runCref(args ...string) (float64, error) {
	cmd := exec.Command(b.cref, args...)
	cmd.Env = append(os.Environ(), crefEnv(b.cpu)...)
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("running %s %v: %w", b.cref, args, err)
	}
	return parseNs(string(out))
}

func parseNs(s string) (float64, error) {
	ns, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || ns <= 0 {
		return 0, fmt.Errorf("the C reference printed %q, not a positive nanosecond count", s)
	}
	return float64(ns) / 1e9, nil
}

// mallocFree: C seconds / engine seconds for the same seeded op stream,
// both pinned to one CPU, in short repetitions (a fifth of the op stream
// each, five times as many): the two sides alternate every ~20 ms of work.
func (b *bench) mallocFree(_ context.Context, r *Result) error {
	ops := max(b.ops()/5, 1000)
	c := func() (float64, error) {
		return b.runCref("churn", strconv.Itoa(churnSeed), strconv.Itoa(churnLive), strconv.FormatInt(ops, 10),
			strconv.Itoa(churnMin), strconv.Itoa(churnMax))
	}
	ours := func() (float64, error) { return engineChurn(churnSeed, ops, b.cpu) }
	for range 3 { // warm the page cache, the CPU clock and both code paths
		if _, err := c(); err != nil {
			return err
		}
		if _, err := ours(); err != nil {
			return err
		}
	}
	p, err := sideBySide(5*b.cfg.Reps, c, ours, func(c, e float64) float64 { return c / e })
	if err != nil {
		return err
	}
	r.MallocFreeVsC = median(p.ratios)
	r.spread("malloc_free_vs_c", p.ratios)
	r.Detail.CNsPerPair, r.Detail.EngineNsPerPair = median(p.refs)*1e9/float64(ops), median(p.ours)*1e9/float64(ops)
	return nil
}

// threadScaling: (ops/s with one thread per core) / (one thread's ops/s x cores).
func (b *bench) threadScaling(_ context.Context, r *Result) error {
	n := runtime.NumCPU()
	ops := b.ops()
	one := func() (float64, error) { return engineChurn(churnSeed, ops, -1) }
	all := func() (float64, error) {
		var wg sync.WaitGroup
		errs := make([]error, n)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = engineChurn(churnSeed+uint64(i), ops, -1)
			}(i)
		}
		wg.Wait()
		s := time.Since(t0).Seconds()
		for _, err := range errs {
			if err != nil {
				return 0, err
			}
		}
		return s, nil
	}
	// Same ops per thread: perfect scaling takes the same wall time.
	p, err := sideBySide(b.cfg.Reps+2, one, all, func(one, all float64) float64 { return one / all })
	r.ThreadScaling = median(p.ratios)
	r.spread("thread_scaling", p.ratios)
	return err
}

// bookkeeping: the engine's bookkeeping bytes per added live object, from
// its counters between two fills of 2^20 objects (the slope, so the fixed
// 4 KiB control page is not spread over the objects).
func (b *bench) bookkeeping(_ context.Context, r *Result) error {
	// A multiple of 512 objects fills whole 4 KiB pages of 8-byte slots.
	n := (max(int64(float64(1<<20)*b.cfg.Scale), 1<<14) + 511) &^ 511
	c := new(alloc.Counters)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e, err := alloc.NewEngine(1, c)
	if err != nil {
		return err
	}
	defer e.Close()
	spec := alloc.FillSpec{Via: alloc.Malloc, Dist: alloc.Dist{Kind: alloc.Fixed, Value: 16}, MaxCount: n}
	var book, objs [2]int64
	for i := range 2 {
		if res, err := e.Fill(spec, time.Hour); err != nil || res.Status != alloc.FillDone {
			return fmt.Errorf("fill of %d objects: %v %v", n, res.Status, err)
		}
		st := c.Load()
		book[i], objs[i] = st.BookkeepingBytes, st.LiveObjects
	}
	r.BookkeepingPerObject = float64(book[1]-book[0]) / float64(objs[1]-objs[0])
	return nil
}
