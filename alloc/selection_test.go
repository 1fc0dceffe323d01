package alloc

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestFreePatterns checks every pattern against a model computed from the
// decoded slots: the freed bytes and count, and the survivors in allocation order.
func TestFreePatterns(t *testing.T) {
	const n = 1000
	model := func(objs []object, free func(i int, o object) bool) (kept []object, bytes, count int64) {
		for i, o := range objs {
			if free(i, o) {
				bytes += o.size
				count++
			} else {
				kept = append(kept, o)
			}
		}
		return kept, bytes, count
	}
	for _, tc := range []struct {
		name string
		sel  Selection
		free func(i int, o object) bool // nil: checked separately
	}{
		{"all", Selection{Pattern: All}, func(int, object) bool { return true }},
		{"every-other", Selection{Pattern: EveryNth, N: 2}, func(i int, _ object) bool { return i%2 == 1 }},
		{"every-7th", Selection{Pattern: EveryNth, N: 7}, func(i int, _ object) bool { return (i+1)%7 == 0 }},
		{"oldest-30%", Selection{Pattern: Oldest, Fraction: 0.3}, func(i int, _ object) bool { return i < 300 }},
		{"newest-25%", Selection{Pattern: Newest, Fraction: 0.25}, func(i int, _ object) bool { return i >= 750 }},
		{"larger-than-256", Selection{Pattern: LargerThan, Size: 256}, func(_ int, o object) bool { return o.size > 256 }},
		{"smaller-than-100", Selection{Pattern: SmallerThan, Size: 100}, func(_ int, o object) bool { return o.size < 100 }},
		{"every-other-of-last-300", Selection{Pattern: EveryNth, N: 2, Last: 300}, func(i int, _ object) bool { return i >= 700 && (i-700)%2 == 1 }},
		{"oldest-half-of-last-200", Selection{Pattern: Oldest, Fraction: 0.5, Last: 200}, func(i int, _ object) bool { return i >= 800 && i < 900 }},
		{"all-of-last-beyond-n", Selection{Pattern: All, Last: 5000}, func(int, object) bool { return true }},
		{"random-40%", Selection{Pattern: Random, Fraction: 0.4, Seed: 9}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, c := newEngine(t, 11)
			mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 16, Max: 512}, MaxCount: n})
			before := e.objects()
			b, cnt, err := e.Free(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			after := e.objects()
			if tc.free == nil { // random: exactly round(0.4 n), survivors a subsequence
				if cnt != 400 || int64(len(after)) != n-400 || b != sumSizes(before)-sumSizes(after) {
					t.Fatalf("freed %d objects %d bytes, %d left", cnt, b, len(after))
				}
				j := 0
				for _, o := range before {
					if j < len(after) && after[j] == o {
						j++
					}
				}
				if j != len(after) {
					t.Fatalf("survivors are not in allocation order")
				}
				return
			}
			kept, wb, wc := model(before, tc.free)
			if b != wb || cnt != wc {
				t.Fatalf("Free = %d bytes %d objects, want %d, %d", b, cnt, wb, wc)
			}
			if diff := cmp.Diff(kept, after, cmp.AllowUnexported(object{}), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("survivors (-want +got):\n%s", diff)
			}
			if got := c.Load(); got.LiveObjects != int64(len(kept)) || got.LiveBytes != sumSizes(kept) {
				t.Fatalf("counters %+v, want %d objects %d bytes", got, len(kept), sumSizes(kept))
			}
		})
	}
}

func TestEveryOtherFreesExactlyHalf(t *testing.T) {
	for _, via := range []Via{Malloc, Mmap, Go} {
		t.Run(via.String(), func(t *testing.T) {
			e, c := newEngine(t, 12)
			mustFill(t, e, FillSpec{Via: via, Dist: Dist{Kind: Fixed, Value: 4096}, MaxCount: 512})
			b, n, err := e.Free(Selection{Pattern: EveryNth, N: 2})
			if err != nil || n != 256 || b != 256*4096 {
				t.Fatalf("Free(every other) = %d, %d, %v", b, n, err)
			}
			if got := c.Load(); got.LiveObjects != 256 || got.LiveBytes != 256*4096 {
				t.Fatalf("counters %+v", got)
			}
		})
	}
}

func TestRandomSelectionIsSeeded(t *testing.T) {
	survivors := func(seed uint64) []int64 {
		e, _ := newEngine(t, 13)
		mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 1, Max: 1 << 15}, MaxCount: 2000})
		if _, _, err := e.Free(Selection{Pattern: Random, Fraction: 0.5, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		var sizes []int64
		for _, o := range e.objects() {
			sizes = append(sizes, o.size)
		}
		return sizes
	}
	a, b, other := survivors(1), survivors(1), survivors(2)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different survivors (-a +b):\n%s", diff)
	}
	if cmp.Equal(a, other) {
		t.Fatalf("seeds 1 and 2 chose the same objects")
	}
}

func TestKeepOnePerPage(t *testing.T) {
	e, c := newEngine(t, 14)
	mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 16, Max: 256}, MaxCount: 20000})
	pages := map[uint64]bool{}
	for _, o := range e.objects() {
		pages[o.addr>>12] = true
	}
	_, n, err := e.Free(Selection{Pattern: KeepOnePerPage})
	if err != nil {
		t.Fatal(err)
	}
	after := e.objects()
	kept := map[uint64]bool{}
	for _, o := range after {
		if kept[o.addr>>12] {
			t.Fatalf("two survivors start on page %#x", o.addr>>12)
		}
		kept[o.addr>>12] = true
	}
	if !cmp.Equal(pages, kept) {
		t.Fatalf("pages with objects: %d before, %d after", len(pages), len(kept))
	}
	// 16..256 B objects pack many per page, so most are freed.
	if n < 20000/2 || c.Load().LiveObjects != int64(len(pages)) {
		t.Fatalf("freed %d, %d left on %d pages", n, c.Load().LiveObjects, len(pages))
	}
}

func TestGoHeapSelectionUsesSameChooser(t *testing.T) {
	e, c := newEngine(t, 15)
	mustFill(t, e, FillSpec{Via: Go, Dist: Dist{Kind: Uniform, Min: 16, Max: 512}, MaxCount: 1000})
	b, n, err := e.Free(Selection{Pattern: Oldest, Fraction: 0.1})
	if err != nil || n != 100 || c.Load().LiveObjects != 900 || c.Load().LiveBytes+b != c.Load().AllocBytes {
		t.Fatalf("Free(oldest 10%%) = %d, %d, %v; counters %+v", b, n, err, c.Load())
	}
	// 24 B of slice header per Go-side slot is not within the 8 B budget; it is reported.
	if bk := c.Load().BookkeepingBytes; bk < 900*24 {
		t.Fatalf("bookkeeping %d B for 900 Go objects", bk)
	}
}

func TestSelectionRejectsBadParameters(t *testing.T) {
	e, _ := newEngine(t, 16)
	for _, sel := range []Selection{
		{Pattern: EveryNth},
		{Pattern: Random, Fraction: 1.5},
		{Pattern: Oldest, Fraction: math.NaN()},
		{Pattern: LargerThan, Size: -1},
		{Pattern: Pattern(42)},
	} {
		if _, _, err := e.Free(sel); err == nil {
			t.Errorf("Free(%+v) accepted", sel)
		}
		if _, _, err := e.Madvise(sel, AdviceDontneed); err == nil {
			t.Errorf("Madvise(%+v) accepted", sel)
		}
	}
}
