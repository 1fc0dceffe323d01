package report

import (
	"math"

	"github.com/memstorm/memstorm/rundir"
	"gonum.org/v1/plot/plotter"
)

// Metric is one plotted figure of a rundir.Sample.
type Metric int

// The metrics a Series can show.
const (
	MetricRSS Metric = iota
	MetricAnon
	MetricFile
	MetricLive
	MetricHeapHeld
	MetricHeapInuse
	MetricCgroupUsage
	MetricPSI
	MetricFragRSS  // RSS / live
	MetricFragHeap // heap held / heap in-use
	// MetricCgroupSwap is the swap charged to the run's cgroup.
	MetricCgroupSwap
	MetricAnonHuge // AnonHugePages (transparent huge pages)
	MetricHugeTLB  // HugetlbPages (explicit huge pages)
	MetricLocked   // VmLck (mlock'd)
	// MetricCgroupFile and MetricCgroupShmem are the cgroup's page cache
	// (shared memory included) and shared memory, from memory.stat.
	MetricCgroupFile
	MetricCgroupShmem
)

// Label is the metric's name as legends show it.
func (m Metric) Label() string {
	switch m {
	case MetricRSS:
		return "RSS"
	case MetricAnon:
		return "anon"
	case MetricFile:
		return "file"
	case MetricLive:
		return "live (requested)"
	case MetricHeapHeld:
		return "heap held"
	case MetricHeapInuse:
		return "heap in-use"
	case MetricCgroupUsage:
		return "cgroup usage"
	case MetricPSI:
		return "PSI some avg10"
	case MetricFragRSS:
		return "RSS / live"
	case MetricFragHeap:
		return "heap held / in-use"
	case MetricCgroupSwap:
		return "cgroup swap"
	case MetricAnonHuge:
		return "THP (AnonHugePages)"
	case MetricHugeTLB:
		return "hugetlb"
	case MetricLocked:
		return "locked"
	case MetricCgroupFile:
		return "cgroup page cache"
	case MetricCgroupShmem:
		return "cgroup shmem"
	}
	return "?"
}

// value is the metric of s, NaN where absent or undefined.
func (m Metric) value(s *rundir.Sample) float64 {
	b := func(v int64) float64 {
		if v < 0 {
			return math.NaN()
		}
		return float64(v)
	}
	ratio := func(num, den int64) float64 {
		if num < 0 || den <= 0 {
			return math.NaN()
		}
		return float64(num) / float64(den)
	}
	switch m {
	case MetricRSS:
		return b(s.RSS)
	case MetricAnon:
		return b(s.Anon)
	case MetricFile:
		return b(s.File)
	case MetricLive:
		return b(s.Live)
	case MetricHeapHeld:
		return b(s.HeapHeld)
	case MetricHeapInuse:
		return b(s.HeapInuse)
	case MetricCgroupUsage:
		return b(s.CgroupUsage)
	case MetricPSI:
		if s.PSISomeAvg10 < 0 {
			return math.NaN()
		}
		return s.PSISomeAvg10
	case MetricFragRSS:
		return ratio(s.RSS, s.Live)
	case MetricFragHeap:
		return ratio(s.HeapHeld, s.HeapInuse)
	case MetricCgroupSwap:
		return b(s.CgroupSwap)
	case MetricAnonHuge:
		return b(s.AnonHuge)
	case MetricHugeTLB:
		return b(s.HugeTLB)
	case MetricLocked:
		return b(s.Locked)
	case MetricCgroupFile:
		return b(s.CgroupFile)
	case MetricCgroupShmem:
		return b(s.CgroupShmem)
	}
	return math.NaN()
}

// Series is one metric of recorded samples, as a plotter.XYer over the
// samples themselves: x is seconds (shifted by Offset), y the metric, NaN
// where absent.
type Series struct {
	Samples []rundir.Sample
	Metric  Metric
	Offset  float64 // subtracted from T, to align runs
}

var _ plotter.XYer = Series{}

// Len implements plotter.XYer.
func (s Series) Len() int { return len(s.Samples) }

// XY implements plotter.XYer.
func (s Series) XY(i int) (float64, float64) {
	return s.Samples[i].T - s.Offset, s.Metric.value(&s.Samples[i])
}

// HasData says whether any sample has the metric.
func (s Series) HasData() bool {
	for i := range s.Samples {
		if !math.IsNaN(s.Metric.value(&s.Samples[i])) {
			return true
		}
	}
	return false
}

// Counter selects a cumulative counter of a rundir.Sample.
type Counter int

// The counters a Rate can derive.
const (
	CounterAlloc Counter = iota
	CounterFree
	CounterMinFlt
	CounterMajFlt
)

func (c Counter) value(s *rundir.Sample) int64 {
	switch c {
	case CounterAlloc:
		return s.AllocBytes
	case CounterFree:
		return s.FreeBytes
	case CounterMinFlt:
		return s.MinFlt
	case CounterMajFlt:
		return s.MajFlt
	}
	return rundir.Absent
}

// Rate is the per-second rate of a cumulative counter, as a plotter.XYer:
// point i is at sample i+1, the rate since the last earlier sample that
// has the counter (the sampler reads fault counts only every
// sample.SlowEvery, so samples between carry none). NaN where sample i+1
// has no value, none of the rateLookback samples before it has one, or
// the counter went backwards.
type Rate struct {
	Samples []rundir.Sample
	Counter Counter
}

// rateLookback bounds how far back a Rate point looks for the counter's
// previous value (at 1 kHz, 100 ms between stat reads is 100 samples).
const rateLookback = 1000

var _ plotter.XYer = Rate{}

// Len implements plotter.XYer.
func (r Rate) Len() int { return max(len(r.Samples)-1, 0) }

// XY implements plotter.XYer.
func (r Rate) XY(i int) (float64, float64) {
	b := &r.Samples[i+1]
	vb := r.Counter.value(b)
	if vb < 0 {
		return b.T, math.NaN()
	}
	for j := i; j >= 0 && j > i-rateLookback; j-- {
		a := &r.Samples[j]
		va := r.Counter.value(a)
		if va < 0 {
			continue
		}
		dt := b.T - a.T
		if vb < va || dt <= 0 {
			return b.T, math.NaN()
		}
		return b.T, float64(vb-va) / dt
	}
	return b.T, math.NaN()
}

// HasData says whether the counter was recorded.
func (r Rate) HasData() bool {
	for i := 0; i < r.Len(); i++ {
		if _, y := r.XY(i); !math.IsNaN(y) {
			return true
		}
	}
	return false
}

// Envelope decimates xys, sorted by x, to at most two points per column of
// columns equal columns spanning [xmin, xmax]: for each column the minimum and
// the maximum, in the order they occur, so that no peak or trough is lost.
// A column with no finite value becomes one NaN point (a gap in the line;
// consecutive empty columns share it). Points outside [xmin, xmax] are dropped.
func Envelope(xys plotter.XYer, xmin, xmax float64, columns int) plotter.XYs {
	n := xys.Len()
	if columns < 1 || n == 0 || !(xmax >= xmin) {
		return nil
	}
	width := (xmax - xmin) / float64(columns)
	out := make(plotter.XYs, 0, min(n, 2*columns))
	col := -1
	var lo, hi plotter.XY
	have, sawGap := false, false
	flush := func() {
		if have {
			if lo.X <= hi.X {
				out = append(out, lo)
				if hi != lo {
					out = append(out, hi)
				}
			} else {
				out = append(out, hi, lo)
			}
		} else if sawGap && (len(out) == 0 || !math.IsNaN(out[len(out)-1].Y)) {
			out = append(out, plotter.XY{X: math.NaN(), Y: math.NaN()})
		}
		have, sawGap = false, false
	}
	for i := 0; i < n; i++ {
		x, y := xys.XY(i)
		if x < xmin || x > xmax || math.IsNaN(x) {
			continue
		}
		c := columns - 1
		if width > 0 {
			c = min(int((x-xmin)/width), columns-1)
		}
		if c != col {
			flush()
			col = c
		}
		if math.IsNaN(y) || math.IsInf(y, 0) {
			sawGap = true
			continue
		}
		p := plotter.XY{X: x, Y: y}
		if !have {
			lo, hi, have = p, p, true
			continue
		}
		if y < lo.Y {
			lo = p
		}
		if y > hi.Y {
			hi = p
		}
	}
	flush()
	return out
}

// dataRange is the x and y range of the finite points of xys; ok is false
// when there is none.
func dataRange(xys plotter.XYer) (xmin, xmax, ymin, ymax float64, ok bool) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := 0; i < xys.Len(); i++ {
		x, y := xys.XY(i)
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(y, 0) {
			continue
		}
		ok = true
		xmin, xmax = min(xmin, x), max(xmax, x)
		ymin, ymax = min(ymin, y), max(ymax, y)
	}
	return
}

// measuredPoints keeps the points of s that hold a measurement, dropping
// the absent ones, so that a line through them joins measurements only.
func measuredPoints(s Series) plotter.XYs {
	var out plotter.XYs
	for i := 0; i < s.Len(); i++ {
		if x, y := s.XY(i); !math.IsNaN(y) {
			out = append(out, plotter.XY{X: x, Y: y})
		}
	}
	return out
}
