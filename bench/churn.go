package bench

import (
	"context"
	"fmt"
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
// thread and returns the seconds of the one Churn call.
func engineChurn(seed uint64, ops int64) (float64, error) {
	type res struct {
		s   float64
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		e, err := alloc.NewEngine(seed, new(alloc.Counters))
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer e.Close()
		t0 := time.Now()
		failed, err := e.Churn(churnDist, churnLive, ops)
		s := time.Since(t0).Seconds()
		if err == nil && failed != 0 {
			err = fmt.Errorf("%d mallocs failed", failed)
		}
		ch <- res{s, err}
	}()
	r := <-ch
	return r.s, r.err
}

// runCref runs the C reference with args and returns the seconds it printed.
func (b *bench) runCref(args ...string) (float64, error) {
	out, err := exec.Command(b.cref, args...).Output()
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

// mallocFree: C seconds / engine seconds for the same seeded op stream.
func (b *bench) mallocFree(_ context.Context, r *Result) error {
	ops := b.ops()
	c := func() (float64, error) {
		return b.runCref("churn", strconv.Itoa(churnSeed), strconv.Itoa(churnLive), strconv.FormatInt(ops, 10),
			strconv.Itoa(churnMin), strconv.Itoa(churnMax))
	}
	ours := func() (float64, error) { return engineChurn(churnSeed, ops) }
	if _, err := c(); err != nil { // warm the page cache and the CPU clock
		return err
	}
	ratio, cs, es, err := sideBySide(b.cfg.Reps+2, c, ours, func(c, e float64) float64 { return c / e })
	if err != nil {
		return err
	}
	r.MallocFreeVsC = ratio
	r.Detail.CNsPerPair, r.Detail.EngineNsPerPair = cs*1e9/float64(ops), es*1e9/float64(ops)
	return nil
}

// threadScaling: (ops/s with one thread per core) / (one thread's ops/s x cores).
func (b *bench) threadScaling(_ context.Context, r *Result) error {
	n := runtime.NumCPU()
	ops := b.ops()
	one := func() (float64, error) { return engineChurn(churnSeed, ops) }
	all := func() (float64, error) {
		var wg sync.WaitGroup
		errs := make([]error, n)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = engineChurn(churnSeed+uint64(i), ops)
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
	ratio, _, _, err := sideBySide(b.cfg.Reps+2, one, all, func(one, all float64) float64 { return one / all })
	r.ThreadScaling = ratio
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
