package alloc

import "testing"

// keepOnePerPageBounds is what the page set of KeepOnePerPage may take for
// objects starting on distinct 4 KiB pages: it doubles from 1024 cells (8
// KiB) when more than 3/4 full, so the final table C has 4/3 to 8/3 cells of
// 8 B per page, and while it grows the old half-size table is mapped too:
// the peak is 12*C bytes, 16 to 32 B per page, once it has grown (past 768
// pages).
func keepOnePerPageBounds(distinct int64) (lo, hi int64) {
	if distinct <= 768 {
		return 8192, 8192
	}
	return 16 * distinct, 32 * distinct
}

func distinctPages(objs []object) int64 {
	pages := map[uint64]bool{}
	for _, o := range objs {
		pages[o.addr>>12] = true
	}
	return int64(len(pages))
}

func TestKeepOnePerPageTransientMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int64 // Fixed object size
		n    int64
	}{
		{"dense 64 B objects", 64, 200_000},  // about 64 per page: < 1 B per object
		{"one object per page", 8192, 4_000}, // the worst case per object
		{"few objects", 100, 50},             // the 8 KiB minimum
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, c := newEngine(t, 17)
			mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed, Value: tc.size}, MaxCount: tc.n})
			if got := c.Load().TransientPeakBytes; got != 0 {
				t.Fatalf("TransientPeakBytes after a fill = %d, want 0", got)
			}
			distinct := distinctPages(e.objects())
			if _, _, err := e.Free(Selection{Pattern: KeepOnePerPage}); err != nil {
				t.Fatal(err)
			}
			peak := c.Load().TransientPeakBytes
			lo, hi := keepOnePerPageBounds(distinct)
			if peak < lo || peak > hi {
				t.Fatalf("page set peak %d B for %d objects on %d pages, want %d..%d", peak, tc.n, distinct, lo, hi)
			}
			t.Logf("%d objects on %d pages: page set peak %d B (%.2f B per object)", tc.n, distinct, peak, float64(peak)/float64(tc.n))
			e.ResetTransientPeak()
			if _, _, err := e.Free(Selection{Pattern: EveryNth, N: 2}); err != nil {
				t.Fatal(err)
			}
			if got := c.Load().TransientPeakBytes; got != 0 {
				t.Fatalf("TransientPeakBytes after reset and an every-other free = %d, want 0", got)
			}
		})
	}
}

func TestTransientPeakOfGoHeapSelectionAndChurn(t *testing.T) {
	e, c := newEngine(t, 18)
	mustFill(t, e, FillSpec{Via: Go, Dist: Dist{Kind: Fixed, Value: 32}, MaxCount: 1000})
	if _, _, err := e.Free(Selection{Pattern: EveryNth, N: 2}); err != nil {
		t.Fatal(err)
	}
	// Address, size and pick flag per Go-heap object, no page set.
	if got := c.Load().TransientPeakBytes; got != 1000*goSelectBytes {
		t.Fatalf("TransientPeakBytes after selecting over 1000 Go objects = %d, want %d", got, 1000*goSelectBytes)
	}
	e.ResetTransientPeak()
	if _, err := e.Churn(Dist{Kind: Fixed, Value: 16}, 10_000, 100); err != nil {
		t.Fatal(err)
	}
	// The ring of 10000 pointers, page-rounded.
	if got, want := c.Load().TransientPeakBytes, int64(80_000+4095)&^4095; got != want {
		t.Fatalf("TransientPeakBytes after Churn over 10000 objects = %d, want %d", got, want)
	}
}
