package rundir

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"sync"
)

// A run of hours at 1 kHz has ten million samples: more than a report can
// hold at once (a Sample is about 200 bytes) or draw (a figure is a few
// thousand pixels wide). LoadRun reads a samples.csv larger than
// ReduceAboveBytes through a reducer instead, in one pass: the run's time
// is cut into ReduceColumns columns, and of each column only the samples
// that hold the minimum or the maximum of some figure are kept, with the
// first and last sample of every stretch of one phase. Memory is bounded by
// the columns, not the rows; a min/max envelope drawn at up to
// ReduceColumns columns is the one the whole file gives, peaks included. A
// rate between two kept samples is the mean rate over the samples dropped
// between them.
const (
	// ReduceAboveBytes is the size of samples.csv from which LoadRun
	// reduces: about 200,000 rows.
	ReduceAboveBytes = 32 << 20
	// ReduceColumns is how many time columns a reduced run keeps extremes
	// of.
	ReduceColumns = 4096
)

// Reduction says what reducing a run's samples kept.
type Reduction struct {
	Rows    int     // samples read
	Kept    int     // samples kept
	Columns int     // time columns
	Width   float64 // seconds per column
}

// reduceMetrics are the figures whose extremes a column keeps: every
// integer column of samples.csv, and PSI.
var reduceMetrics = func() []func(*Sample) float64 {
	var out []func(*Sample) float64
	for _, name := range sampleColumns {
		if f := intColumns[name]; f != nil {
			out = append(out, func(s *Sample) float64 {
				if v := *f(s); v >= 0 {
					return float64(v)
				}
				return math.NaN()
			})
		}
	}
	return append(out, func(s *Sample) float64 {
		if s.PSISomeAvg10 >= 0 {
			return s.PSISomeAvg10
		}
		return math.NaN()
	})
}()

// metricValues fills vals with s's figures in reduceMetrics order, NaN
// where absent.
func metricValues(s *Sample, vals []float64) {
	for m, f := range reduceMetrics {
		vals[m] = f(s)
	}
}

// column holds the kept samples of one time column: for each metric the
// index (into samples) and value of its minimum and maximum, index -1
// while none. Samples that stopped being an extreme are dropped when they
// pile up (compact).
type column struct {
	samples    []Sample
	minI, maxI []int32
	minV, maxV []float64
}

// reducer keeps the extremes of the samples it is given, in time order.
type reducer struct {
	width float64 // seconds per column; doubles when a sample is past the last column
	cols  []column
	edges []Sample // first and last samples of phase stretches
	last  Sample
	rows  int
	vals  []float64
	// tooLong: a parallel reduction found the file over MaxSampleLines.
	tooLong bool
}

func newReducer(span float64) *reducer {
	if !(span > 0) {
		span = 1
	}
	return &reducer{width: span / ReduceColumns, cols: make([]column, ReduceColumns), vals: make([]float64, len(reduceMetrics))}
}

// add takes one sample; s is copied.
func (r *reducer) add(s *Sample) {
	if r.rows == 0 || s.Phase != r.last.Phase {
		if r.rows > 0 {
			r.edges = append(r.edges, r.last) // the last of the stretch that ends
		}
		r.edges = append(r.edges, *s) // the first of the one that starts
	}
	r.rows++
	r.last = *s
	for s.T >= r.width*ReduceColumns {
		r.widen()
	}
	c := 0
	if s.T > 0 {
		c = min(int(s.T/r.width), ReduceColumns-1)
	}
	metricValues(s, r.vals)
	r.cols[c].add(s, r.vals)
}

// widen doubles the columns' width, merging them pairwise.
func (r *reducer) widen() {
	r.width *= 2
	for i := 0; i < ReduceColumns/2; i++ {
		a, b := r.cols[2*i], r.cols[2*i+1]
		var m column
		for _, src := range [2]*column{&a, &b} {
			src.compact()
			for j := range src.samples {
				metricValues(&src.samples[j], r.vals)
				m.add(&src.samples[j], r.vals)
			}
		}
		m.compact()
		r.cols[i] = m
	}
	for i := ReduceColumns / 2; i < ReduceColumns; i++ {
		r.cols[i] = column{}
	}
}

// add keeps s if it is an extreme of some metric (vals) of the column.
func (c *column) add(s *Sample, vals []float64) {
	if c.minI == nil {
		n := len(vals)
		c.minI, c.maxI, c.minV, c.maxV = make([]int32, n), make([]int32, n), make([]float64, n), make([]float64, n)
		for i := range c.minI {
			c.minI[i], c.maxI[i] = -1, -1
		}
	}
	n := int32(len(c.samples))
	kept := false
	for m, v := range vals {
		if v != v { // NaN: absent
			continue
		}
		if c.minI[m] < 0 || v < c.minV[m] {
			c.minI[m], c.minV[m], kept = n, v, true
		}
		if c.maxI[m] < 0 || v > c.maxV[m] {
			c.maxI[m], c.maxV[m], kept = n, v, true
		}
	}
	if !kept {
		return
	}
	c.samples = append(c.samples, *s)
	if len(c.samples) >= 2*len(vals)+2 {
		c.compact()
	}
}

// compact drops the samples no metric's extreme points at.
func (c *column) compact() {
	used := make([]int32, len(c.samples))
	for i := range used {
		used[i] = -1
	}
	for m := range c.minI {
		for _, i := range [2]int32{c.minI[m], c.maxI[m]} {
			if i >= 0 {
				used[i] = 0
			}
		}
	}
	k := int32(0)
	for i := range c.samples {
		if used[i] == 0 {
			used[i] = k
			c.samples[k] = c.samples[i]
			k++
		}
	}
	if int(k) == len(c.samples) {
		return
	}
	c.samples = c.samples[:k]
	for m := range c.minI {
		if c.minI[m] >= 0 {
			c.minI[m] = used[c.minI[m]]
		}
		if c.maxI[m] >= 0 {
			c.maxI[m] = used[c.maxI[m]]
		}
	}
}

// result returns the kept samples in time order, without duplicates.
func (r *reducer) result() ([]Sample, Reduction) {
	var out []Sample
	for i := range r.cols {
		r.cols[i].compact()
		out = append(out, r.cols[i].samples...)
	}
	if r.rows > 0 {
		out = append(out, r.edges...)
		out = append(out, r.last)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].T < out[j].T })
	k := 0
	for i := range out {
		if k > 0 && out[i] == out[k-1] {
			continue
		}
		out[k] = out[i]
		k++
	}
	out = out[:k]
	return out, Reduction{Rows: r.rows, Kept: len(out), Columns: ReduceColumns, Width: r.width}
}

// reduceSamples reads samples.csv from rd through a reducer over span
// seconds (a guess: the columns widen as needed).
func reduceSamples(rd io.Reader, path string, span float64) ([]Sample, Reduction, error) {
	red := newReducer(span)
	err := scanSamples(rd, path, func(s *Sample) error {
		red.add(s)
		return nil
	})
	if err != nil {
		return nil, Reduction{}, err
	}
	out, info := red.result()
	return out, info, nil
}

// merge adds what o kept, from a later stretch of the same file, to r.
func (r *reducer) merge(o *reducer) {
	if o.rows == 0 {
		return
	}
	for r.width < o.width {
		r.widen()
	}
	for o.width < r.width {
		o.widen()
	}
	for i := range o.cols {
		c := &o.cols[i]
		for j := range c.samples {
			metricValues(&c.samples[j], r.vals)
			r.cols[i].add(&c.samples[j], r.vals)
		}
	}
	if r.rows > 0 {
		r.edges = append(r.edges, r.last) // a phase may end where the stretch does
	}
	r.edges = append(r.edges, o.edges...)
	r.last = o.last
	r.rows += o.rows
}

// reduceFile reduces samples.csv, open as f with size bytes: in parallel,
// one reducer per CPU on its own stretch of the file (cut at line ends),
// merged; sequentially on one CPU, or when a stretch fails to parse (a
// fault, or a quoted field that spans lines across a cut), so that an
// error names its line exactly.
func reduceFile(f *os.File, size int64, path string, span float64) ([]Sample, Reduction, error) {
	if k := runtime.GOMAXPROCS(0); k > 1 {
		if red, ok := reduceParallel(f, size, path, span, k); ok {
			if red.tooLong {
				return nil, Reduction{}, &InputError{Path: path, Line: MaxSampleLines + 1, Err: errTooManyLines}
			}
			out, info := red.result()
			return out, info, nil
		}
	}
	br := &boundedReader{r: io.NewSectionReader(f, 0, size), left: MaxSamplesBytes, path: path, max: MaxSamplesBytes}
	return reduceSamples(br, path, span)
}

// reduceParallel is reduceFile's parallel path; false when it cannot be
// sure of the result.
func reduceParallel(f *os.File, size int64, path string, span float64, k int) (*reducer, bool) {
	lr := &csvLines{br: bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 1<<16)}
	h, err := readHeader(lr, path)
	if err != nil {
		return nil, false
	}
	cuts := []int64{lr.recBytes}
	buf := make([]byte, 64<<10)
	for i := 1; i < k; i++ {
		at := cuts[0] + (size-cuts[0])*int64(i)/int64(k)
		for at < size {
			n, err := f.ReadAt(buf, at)
			if j := bytes.IndexByte(buf[:n], '\n'); j >= 0 {
				at += int64(j) + 1
				break
			}
			if err != nil {
				at = size
				break
			}
			at += int64(n)
		}
		cuts = append(cuts, max(at, cuts[len(cuts)-1]))
	}
	cuts = append(cuts, size)
	reds := make([]*reducer, k)
	lines := make([]int, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := 0; i < k; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			red := newReducer(span)
			cl := &csvLines{br: bufio.NewReaderSize(io.NewSectionReader(f, cuts[i], cuts[i+1]-cuts[i]), 1<<16)}
			errs[i] = scanRows(cl, h, path, func(s *Sample, _ int64) error {
				red.add(s)
				return nil
			})
			reds[i], lines[i] = red, cl.line
		}(i)
	}
	wg.Wait()
	total, over := 1, false
	for i := range errs {
		switch {
		case errors.Is(errs[i], errTooManyLines):
			over = true // its stretch alone is too long
		case errs[i] != nil:
			return nil, false
		}
		total += lines[i]
	}
	if over || total > MaxSampleLines {
		// Every stretch parsed up to where the file passed the bound: one
		// pass would stop there too, with this error.
		return &reducer{tooLong: true}, true
	}
	for _, o := range reds[1:] {
		reds[0].merge(o)
	}
	return reds[0], true
}
