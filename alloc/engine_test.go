package alloc

import (
	"errors"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFillExactCountsAndFreeAll(t *testing.T) {
	for _, via := range []Via{Malloc, Calloc, Realloc, PosixMemalign, Mmap, Go} {
		// 100 B sits in the slot; 70000 B lives in the object's first 8 bytes
		// (malloc family) or in the split mmap field.
		for _, size := range []int64{100, 70000} {
			t.Run(via.String()+"/"+map[int64]string{100: "small", 70000: "large"}[size], func(t *testing.T) {
				e, c := newEngine(t, 1)
				spec := FillSpec{Via: via, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: 200}
				if via == PosixMemalign {
					spec.Align = 256
				}
				r := mustFill(t, e, spec)
				want := FillResult{Status: FillDone, Bytes: 200 * size, Count: 200}
				if diff := cmp.Diff(want, r); diff != "" {
					t.Fatalf("Fill result (-want +got):\n%s", diff)
				}
				got := c.Load()
				if got.LiveBytes != 200*size || got.LiveObjects != 200 || got.AllocOps != 200 || got.AllocBytes != 200*size {
					t.Fatalf("counters after fill: %+v", got)
				}
				if via != Go {
					objs := e.objects()
					for i, o := range objs {
						if o.size != size || o.mmap != (via == Mmap) {
							t.Fatalf("object %d decodes as %+v, want size %d", i, o, size)
						}
						if via == PosixMemalign && o.addr%256 != 0 {
							t.Fatalf("object %d at %#x not 256-aligned", i, o.addr)
						}
					}
				}
				b, n, err := e.Free(Selection{Pattern: All})
				if err != nil || b != 200*size || n != 200 {
					t.Fatalf("Free(All) = %d, %d, %v; want %d, 200", b, n, err, 200*size)
				}
				got = c.Load()
				if got.LiveBytes != 0 || got.LiveObjects != 0 || got.FreeBytes != 200*size || got.FreeOps() != 200 {
					t.Fatalf("counters after free: %+v", got)
				}
			})
		}
	}
}

func TestFillMaxBytesStopsAtFirstObjectReachingIt(t *testing.T) {
	e, c := newEngine(t, 2)
	r := mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed, Value: 1000}, MaxBytes: 10500})
	// 10 objects make 10000 < 10500, the 11th crosses it.
	if r.Status != FillDone || r.Count != 11 || r.Bytes != 11000 || c.Load().LiveBytes != 11000 {
		t.Fatalf("Fill = %+v, live %d; want 11 objects, 11000 bytes", r, c.Load().LiveBytes)
	}
}

func TestFillBudgetEndsUnboundedFill(t *testing.T) {
	e, c := newEngine(t, 3)
	r, err := e.Fill(FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 16, Max: 64}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A zero budget still runs the first batch: the clock is read every 64 objects.
	if r.Status != FillBudget || r.Count != 64 || c.Load().LiveObjects != 64 {
		t.Fatalf("Fill with zero budget = %+v, want FillBudget after one 64-object batch", r)
	}
}

func TestBookkeepingAtMostEightBytesPerObject(t *testing.T) {
	e, c := newEngine(t, 4)
	const n = 150_000
	mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed, Value: 16}, MaxCount: n})
	got := c.Load()
	// 8 B per slot, plus the control page and at most one partial slot page.
	if limit := 8*got.LiveObjects + 2*4096; got.LiveObjects != n || got.BookkeepingBytes > limit || got.BookkeepingBytes < 8*n {
		t.Fatalf("bookkeeping %d B for %d objects, want within [%d, %d]", got.BookkeepingBytes, got.LiveObjects, 8*n, limit)
	}
	if per := float64(got.BookkeepingBytes) / float64(got.LiveObjects); per > 8.1 {
		t.Fatalf("bookkeeping %.3f B per object", per)
	}
	if _, _, err := e.Free(Selection{Pattern: EveryNth, N: 4}); err != nil {
		t.Fatal(err)
	}
	got = c.Load()
	if limit := 8*got.LiveObjects + 2*4096; got.LiveObjects != n-n/4 || got.BookkeepingBytes > limit {
		t.Fatalf("after freeing a quarter: bookkeeping %d B for %d objects, want <= %d", got.BookkeepingBytes, got.LiveObjects, limit)
	}
	if _, _, err := e.Free(Selection{Pattern: All}); err != nil {
		t.Fatal(err)
	}
	if got := c.Load(); got.BookkeepingBytes != 4096 {
		t.Fatalf("bookkeeping with no live object = %d, want the 4096-byte control page", got.BookkeepingBytes)
	}
}

func TestFreeFromOtherThread(t *testing.T) {
	src, sc := newEngine(t, 5)
	dst, dc := newEngine(t, 6)
	mustFill(t, src, FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 16, Max: 4096}, MaxCount: 1000})
	want := sc.Load().LiveBytes
	type res struct {
		b, n int64
		err  error
	}
	ch := make(chan res)
	go func() {
		runtime.LockOSThread() // a different OS thread from the one that allocated
		defer runtime.UnlockOSThread()
		b, n, err := dst.FreeFrom(src, Selection{Pattern: All})
		ch <- res{b, n, err}
	}()
	r := <-ch
	if r.err != nil || r.b != want || r.n != 1000 {
		t.Fatalf("FreeFrom = %+v, want %d bytes, 1000 objects", r, want)
	}
	if s, d := sc.Load(), dc.Load(); s.LiveObjects != 0 || s.FreeOps() != 1000 || d.FreeOps() != 0 || d.AllocOps != 0 {
		t.Fatalf("src counters %+v, dst counters %+v", s, d)
	}
}

func TestClose(t *testing.T) {
	c := new(Counters)
	e, err := NewEngine(7, c)
	if err != nil {
		t.Fatal(err)
	}
	mustFill(t, e, FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: 8192}, MaxCount: 10})
	mustFill(t, e, FillSpec{Via: Go, Dist: Dist{Kind: Fixed, Value: 100}, MaxCount: 10})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	got := c.Load()
	if got.LiveBytes != 0 || got.LiveObjects != 0 || got.BookkeepingBytes != 0 || got.FreeOps() != 20 {
		t.Fatalf("counters after Close: %+v", got)
	}
	if err := e.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	if _, err := e.Fill(FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed, Value: 1}}, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Fill after Close = %v, want ErrClosed", err)
	}
}

func TestFillRejectsBadSpecs(t *testing.T) {
	e, _ := newEngine(t, 8)
	fixed := Dist{Kind: Fixed, Value: 64}
	for _, tc := range []struct {
		name string
		spec FillSpec
	}{
		{"zero size", FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed}}},
		{"uniform min>max", FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 10, Max: 5}}},
		{"lognormal no max", FillSpec{Via: Malloc, Dist: Dist{Kind: Lognormal, Median: 100, Sigma: 1}}},
		{"pareto alpha 0", FillSpec{Via: Malloc, Dist: Dist{Kind: Pareto, Min: 16, Max: 100}}},
		{"histogram mismatch", FillSpec{Via: Malloc, Dist: Dist{Kind: Histogram, Sizes: []int64{1, 2}, Weights: []float64{1}}}},
		{"histogram zero weights", FillSpec{Via: Malloc, Dist: Dist{Kind: Histogram, Sizes: []int64{1}, Weights: []float64{0}}}},
		{"size beyond MaxSize", FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed, Value: MaxSize + 1}}},
		{"align on malloc", FillSpec{Via: Malloc, Align: 64, Dist: fixed}},
		{"align not power of two", FillSpec{Via: PosixMemalign, Align: 48, Dist: fixed}},
		{"unknown via", FillSpec{Via: Via(99), Dist: fixed}},
		{"negative bound", FillSpec{Via: Malloc, Dist: fixed, MaxCount: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.Fill(tc.spec, 1); err == nil {
				t.Fatalf("Fill(%+v) accepted", tc.spec)
			}
		})
	}
	if got := e.Counters().Load(); got.AllocOps != 0 {
		t.Fatalf("rejected fills allocated: %+v", got)
	}
}
