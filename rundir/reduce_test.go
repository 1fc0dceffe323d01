package rundir

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// walk returns n samples 1 ms apart of a random walk with rare spikes, in
// three phases.
func walk(n int, seed uint64) []Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]Sample, n)
	rss := int64(1 << 30)
	for i := range out {
		s := absentSample
		s.T = float64(i) * 0.001
		s.Phase = [...]string{"fill", "hold", "free"}[i*3/n]
		rss += rng.Int64N(1<<20) - 1<<19
		s.RSS, s.Anon, s.Live = rss, rss-8<<20, rss/2+rng.Int64N(1<<16)
		if rng.IntN(50000) == 0 {
			s.RSS += 1 << 28 // a spike one sample wide
		}
		s.AllocBytes = int64(i) << 12
		if i%100 == 0 {
			s.MinFlt = int64(i)
		}
		out[i] = s
	}
	return out
}

// envelope is the min and max of f per column of width w from t0.
func envelope(ss []Sample, t0, w float64, cols int, f func(*Sample) int64) (lo, hi []int64) {
	lo, hi = make([]int64, cols), make([]int64, cols)
	for i := range lo {
		lo[i], hi[i] = math.MaxInt64, math.MinInt64
	}
	for i := range ss {
		c := int((ss[i].T - t0) / w)
		if c < 0 || c >= cols {
			continue
		}
		v := f(&ss[i])
		if v < 0 {
			continue
		}
		lo[c], hi[c] = min(lo[c], v), max(hi[c], v)
	}
	return lo, hi
}

// TestReduceKeepsTheEnvelope: the reduced samples give the same min/max
// envelope as all of them, at the reducer's columns and at any coarser
// grid made of whole columns (the report's figure), for every figure; the
// peak is kept; every phase's first and last sample is kept.
func TestReduceKeepsTheEnvelope(t *testing.T) {
	all := walk(300_000, 1)
	red := newReducer(10) // a guess too short: the columns must widen to 300 s
	for i := range all {
		red.add(&all[i])
	}
	kept, info := red.result()
	if info.Rows != len(all) || info.Kept != len(kept) {
		t.Fatalf("reduction %+v of %d rows, %d kept", info, len(all), len(kept))
	}
	if info.Width*ReduceColumns < all[len(all)-1].T {
		t.Fatalf("columns of %g s do not cover the run's %g s", info.Width, all[len(all)-1].T)
	}
	if len(kept) > len(all)/4 {
		t.Errorf("kept %d of %d samples: no reduction", len(kept), len(all))
	}
	for _, g := range []struct {
		name string
		f    func(*Sample) int64
	}{
		{"rss", func(s *Sample) int64 { return s.RSS }},
		{"live", func(s *Sample) int64 { return s.Live }},
		{"alloc", func(s *Sample) int64 { return s.AllocBytes }},
		{"minflt", func(s *Sample) int64 { return s.MinFlt }},
	} {
		for _, per := range []int{1, 4, 16} { // reducer columns per grid column
			cols := ReduceColumns / per
			w := info.Width * float64(per)
			wlo, whi := envelope(all, 0, w, cols, g.f)
			glo, ghi := envelope(kept, 0, w, cols, g.f)
			for c := range wlo {
				if wlo[c] != glo[c] || whi[c] != ghi[c] {
					t.Fatalf("%s, column %d of %d: reduced [%d, %d], all samples [%d, %d]", g.name, c, cols, glo[c], ghi[c], wlo[c], whi[c])
				}
			}
		}
	}
	for i := range kept {
		if i > 0 && kept[i].T <= kept[i-1].T {
			t.Fatalf("kept samples out of order at %d: %g after %g", i, kept[i].T, kept[i-1].T)
		}
	}
	// Phase edges: the first and last sample of each phase are kept.
	has := map[float64]bool{}
	for _, s := range kept {
		has[s.T] = true
	}
	for i := range all {
		first := i == 0 || all[i-1].Phase != all[i].Phase
		last := i == len(all)-1 || all[i+1].Phase != all[i].Phase
		if (first || last) && !has[all[i].T] {
			t.Errorf("phase %s: the sample at %g (first %v, last %v) was dropped", all[i].Phase, all[i].T, first, last)
		}
	}
}

// TestReduceIsBounded: what a reduction keeps does not grow with the rows.
func TestReduceIsBounded(t *testing.T) {
	keep := func(n int) int {
		red := newReducer(1)
		for _, s := range walk(n, 2) {
			red.add(&s)
		}
		out, _ := red.result()
		return len(out)
	}
	small, large := keep(100_000), keep(1_000_000)
	// Each column keeps at most a min and a max per metric; a random walk
	// shares most of them between figures.
	bound := ReduceColumns*2*len(reduceMetrics) + 8
	if small > bound || large > bound {
		t.Errorf("kept %d of 100k and %d of 1M samples, bound %d", small, large, bound)
	}
	t.Logf("kept %d of 100k and %d of 1M samples (bound %d)", small, large, bound)
}

// writeLarge writes a samples.csv just over ReduceAboveBytes into dir and
// returns its rows and peak RSS.
func writeLarge(t *testing.T, dir string) (rows int, peak int64) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, SamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := NewSampleWriter(struct{ io.Writer }{bw})
	if err != nil {
		t.Fatal(err)
	}
	written := int64(0)
	for n := 0; written <= ReduceAboveBytes; n++ {
		for _, s := range walk(50_000, uint64(n+3)) {
			s.T += float64(n) * 50
			peak = max(peak, s.RSS)
			if err := w.Write(&s); err != nil {
				t.Fatal(err)
			}
			rows++
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		written = st.Size()
	}
	return rows, peak
}

// TestLoadRunReducesLargeFiles: a samples.csv over ReduceAboveBytes is
// loaded reduced, and says so; the run's peak RSS is the same.
func TestLoadRunReducesLargeFiles(t *testing.T) {
	dir := t.TempDir()
	rows, peak := writeLarge(t, dir)
	r, err := LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Reduced == nil || r.Reduced.Rows != rows || len(r.Samples) != r.Reduced.Kept || r.Reduced.Kept >= r.Reduced.Rows/4 {
		t.Fatalf("reduction %+v of %d rows, %d samples loaded", r.Reduced, rows, len(r.Samples))
	}
	if r.Summary.Samples != rows || r.Summary.PeakRSSBytes != peak {
		t.Errorf("incomplete summary: %d samples, peak %d; want %d and %d", r.Summary.Samples, r.Summary.PeakRSSBytes, rows, peak)
	}
}

// TestReduceParallelIsSequential: reducing a file in stretches, one per
// goroutine, keeps the same envelope as reading it in one pass; a fault in
// the middle of the file is reported at its exact line all the same.
func TestReduceParallelIsSequential(t *testing.T) {
	dir := t.TempDir()
	rows, _ := writeLarge(t, dir)
	path := filepath.Join(dir, SamplesFile)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	seq, seqInfo, err := reduceSamples(f, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	red, ok := reduceParallel(f, st.Size(), path, 0, 3)
	if !ok {
		t.Fatal("the parallel reduction gave up on a well-formed file")
	}
	par, parInfo := red.result()
	if parInfo.Rows != rows || seqInfo.Rows != rows || parInfo.Width != seqInfo.Width {
		t.Fatalf("parallel %+v, sequential %+v, %d rows", parInfo, seqInfo, rows)
	}
	for _, per := range []int{1, 8} {
		cols, w := ReduceColumns/per, seqInfo.Width*float64(per)
		for _, f := range []func(*Sample) int64{func(s *Sample) int64 { return s.RSS }, func(s *Sample) int64 { return s.MinFlt }} {
			slo, shi := envelope(seq, 0, w, cols, f)
			plo, phi := envelope(par, 0, w, cols, f)
			for c := range slo {
				if slo[c] != plo[c] || shi[c] != phi[c] {
					t.Fatalf("column %d of %d: parallel [%d, %d], sequential [%d, %d]", c, cols, plo[c], phi[c], slo[c], shi[c])
				}
			}
		}
	}
	// A bad row two thirds in: the error names its line, as one pass does.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.IndexByte(b[len(b)*2/3:], '\n') + len(b)*2/3 + 1
	line := bytes.Count(b[:at], []byte{'\n'}) + 1
	bad := append(append(append([]byte(nil), b[:at]...), "1.5,fill,x\n"...), b[at:]...)
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadRun(dir)
	if want := fmt.Sprintf("%s:%d:", path, line); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("a bad row at line %d: %v, want an error starting %q", line, err, want)
	}
}
