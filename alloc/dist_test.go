package alloc

import (
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleSizes(t *testing.T, seed uint64, d Dist, n int64) []int64 {
	t.Helper()
	e, _ := newEngine(t, seed)
	mustFill(t, e, FillSpec{Via: Malloc, Dist: d, MaxCount: n})
	sizes := make([]int64, 0, n)
	for _, o := range e.objects() {
		sizes = append(sizes, o.size)
	}
	return sizes
}

func TestDistributions(t *testing.T) {
	const n = 20000
	for _, tc := range []struct {
		name  string
		d     Dist
		check func(t *testing.T, sizes []int64)
	}{
		{"fixed", Dist{Kind: Fixed, Value: 24}, nil},
		{"uniform", Dist{Kind: Uniform, Min: 16, Max: 1024}, func(t *testing.T, s []int64) {
			// mean (16+1024)/2 = 520, sd of the mean ~ 296/sqrt(n) ~ 2.1
			if m := mean(s); math.Abs(m-520) > 15 {
				t.Errorf("mean %.1f, want 520", m)
			}
		}},
		{"lognormal", Dist{Kind: Lognormal, Median: 256, Sigma: 0.8, Min: 16, Max: 8192}, func(t *testing.T, s []int64) {
			// clamping does not move the median: 16 and 8192 lie > 3 sigma away
			if m := median(s); m < 240 || m > 272 {
				t.Errorf("median %d, want about 256", m)
			}
		}},
		{"pareto", Dist{Kind: Pareto, Min: 64, Alpha: 1.5, Max: 1 << 20}, func(t *testing.T, s []int64) {
			// P(X > 2*Min) = 2^-1.5 = 0.354
			if f := fraction(s, func(v int64) bool { return v > 128 }); math.Abs(f-0.354) > 0.03 {
				t.Errorf("P(size > 128) = %.3f, want 0.354", f)
			}
		}},
		{"histogram", Dist{Kind: Histogram, Sizes: []int64{32, 4096, 100000}, Weights: []float64{6, 3, 1}}, func(t *testing.T, s []int64) {
			for size, want := range map[int64]float64{32: 0.6, 4096: 0.3, 100000: 0.1} {
				if f := fraction(s, func(v int64) bool { return v == size }); math.Abs(f-want) > 0.02 {
					t.Errorf("P(size %d) = %.3f, want %.1f", size, f, want)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sizes := sampleSizes(t, 21, tc.d, n)
			lo, hi := tc.d.Bounds()
			for i, s := range sizes {
				if s < lo || s > hi {
					t.Fatalf("size %d at %d outside %d..%d", s, i, lo, hi)
				}
			}
			if tc.check != nil {
				tc.check(t, sizes)
			}
			if diff := cmp.Diff(sizes, sampleSizes(t, 21, tc.d, n)); diff != "" {
				t.Fatalf("same seed, different sizes (-first +second):\n%s", diff)
			}
			if tc.d.Kind != Fixed && cmp.Equal(sizes, sampleSizes(t, 22, tc.d, n)) {
				t.Fatalf("seeds 21 and 22 gave the same sizes")
			}
		})
	}
}

func TestGoViaDrawsSameSizesAsC(t *testing.T) {
	d := Dist{Kind: Uniform, Min: 1, Max: 1 << 16}
	want := sampleSizes(t, 31, d, 300)
	e, _ := newEngine(t, 31)
	mustFill(t, e, FillSpec{Via: Go, Dist: d, MaxCount: 300})
	var got []int64
	for _, b := range e.goObjs {
		got = append(got, int64(len(b)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Go-heap sizes differ from C sizes (-C +Go):\n%s", diff)
	}
}

func mean(s []int64) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v)
	}
	return sum / float64(len(s))
}

func median(s []int64) int64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c[len(c)/2]
}

func fraction(s []int64, f func(int64) bool) float64 {
	n := 0
	for _, v := range s {
		if f(v) {
			n++
		}
	}
	return float64(n) / float64(len(s))
}
