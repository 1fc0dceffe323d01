package report

import (
	"fmt"
	"image/color"
	"math"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// FigureWidth is the width of every figure.
const FigureWidth = 10 * vg.Inch

// seriesStyle is how one memory metric is drawn, the same in every figure.
var seriesStyle = map[Metric]draw.LineStyle{
	MetricRSS:         {Color: paletteColor(0), Width: 1.8},
	MetricAnon:        {Color: paletteColor(7), Width: 1},
	MetricFile:        {Color: paletteColor(5), Width: 1},
	MetricLive:        {Color: color.NRGBA{20, 20, 20, 255}, Width: 1.4, Dashes: []vg.Length{5, 2}},
	MetricHeapHeld:    {Color: paletteColor(3), Width: 1.3},
	MetricHeapInuse:   {Color: paletteColor(2), Width: 1.1},
	MetricCgroupUsage: {Color: paletteColor(4), Width: 1.1},
	MetricPSI:         {Color: paletteColor(4), Width: 1.1},
	MetricFragRSS:     {Color: paletteColor(0), Width: 1.5},
	MetricFragHeap:    {Color: paletteColor(3), Width: 1.3},
	MetricCgroupSwap:  {Color: color.NRGBA{120, 60, 200, 255}, Width: 1.3, Dashes: []vg.Length{1, 2}},
	MetricAnonHuge:    {Color: paletteColor(6), Width: 1, Dashes: []vg.Length{3, 2}},
	MetricHugeTLB:     {Color: paletteColor(1), Width: 1.2},
	MetricLocked:      {Color: paletteColor(5), Width: 1, Dashes: []vg.Length{1, 2}},
	MetricCgroupFile:  {Color: color.NRGBA{0, 140, 140, 255}, Width: 1.2, Dashes: []vg.Length{4, 2}},
	MetricCgroupShmem: {Color: color.NRGBA{200, 40, 160, 255}, Width: 1.2, Dashes: []vg.Length{4, 2}},
}

// timeSpan is the x range a run covers: 0 (the worker's start) to the last
// sample or the recorded duration, whichever is later.
func (r *Run) timeSpan() (float64, float64) {
	end := r.Summary.DurationS
	if n := len(r.Samples); n > 0 {
		end = max(end, r.Samples[n-1].T)
	}
	for _, e := range r.Events { // an OOM kill lands after the last sample
		end = max(end, e.T)
	}
	if end <= 0 {
		end = 1
	}
	// A little room on the right, so that a marker at the last instant (an
	// OOM kill, the exit) is not drawn on the frame.
	return 0, end * 1.015
}

// Figures builds the run's figures: memory, fragmentation and activity.
func (r *Run) Figures() []*Figure {
	return []*Figure{r.MemoryFigure(), r.FragmentationFigure(), r.ActivityFigure()}
}

// memoryMetrics are the metrics of the memory figure, drawn in this order
// (the legend goes most important first). Heap in-use and file pages are
// left to the tables: in-use tracks live within a few percent, and file
// pages (the worker binary) are the constant gap between RSS and anon; drawn,
// they only bury the four lines that tell the story.
var memoryMetrics = []Metric{MetricCgroupUsage, MetricCgroupFile, MetricCgroupShmem, MetricCgroupSwap, MetricHeapHeld, MetricAnon, MetricRSS, MetricLive,
	MetricAnonHuge, MetricHugeTLB, MetricLocked}

var memoryLegend = []Metric{MetricRSS, MetricAnon, MetricHeapHeld, MetricLive, MetricCgroupUsage, MetricCgroupFile, MetricCgroupShmem, MetricCgroupSwap,
	MetricAnonHuge, MetricHugeTLB, MetricLocked}

// pagesMetrics are the memory figure's lines of special pages (huge,
// locked): drawn only when some sample has them, not as a line at zero in
// every report.
var pagesMetrics = map[Metric]bool{MetricAnonHuge: true, MetricHugeTLB: true, MetricLocked: true}

// heldFill shades what the process holds beyond what is live.
var heldFill = color.NRGBA{220, 50, 32, 46}

// MemoryFigure is memory over time: RSS, anon, the allocator's heap and
// the live bytes, the gap between anon and live shaded, the cgroup's usage
// and limits where the run had a limit, the phases and the notable events.
func (r *Run) MemoryFigure() *Figure {
	xmin, xmax := r.timeSpan()
	ta := TimeAxisFor(xmax - xmin)
	p := newPanel("memory", ByteTicks{}, ta, xmin, xmax)
	p.Add(phaseBands{spans: r.Phases(), label: true}, grid{})
	f := &Figure{Name: "memory", Title: r.title("memory over time"), Width: FigureWidth, Height: 5 * vg.Inch, Panels: []*plot.Plot{p}}
	cg := r.Summary.Cgroup
	limited := cg != nil && (cg.Limit.Bounded() || cg.High.Bounded())
	ymax := 0.0
	lines := map[Metric]*envLine{}
	gap := gapBand{samples: r.Samples, upper: MetricAnon, lower: MetricLive, fill: heldFill}
	hasGap := (Series{Samples: r.Samples, Metric: MetricAnon}).HasData() && (Series{Samples: r.Samples, Metric: MetricLive}).HasData()
	if hasGap {
		p.Add(gap)
	}
	for _, m := range memoryMetrics {
		s := Series{Samples: r.Samples, Metric: m}
		if (m == MetricCgroupUsage && !limited) || (m == MetricCgroupSwap && !swapped(cg)) || !s.HasData() ||
			(pagesMetrics[m] && !anyPositive(s)) ||
			((m == MetricCgroupFile || m == MetricCgroupShmem) && !filePages(r.Samples, m)) {
			continue
		}
		var xys plotter.XYer = s
		if m == MetricHeapHeld {
			// The allocator's figures are measured when the worker refreshes
			// them, not at every sample: draw a line through those
			// measurements only, never a held value as if it were new.
			xys = measuredPoints(s)
		}
		l := newEnvLine(xys, seriesStyle[m], false)
		lines[m] = l
		ymax = max(ymax, l.ymax)
		p.Add(l)
	}
	for _, m := range memoryLegend {
		if l, ok := lines[m]; ok {
			f.Legend = append(f.Legend, LegendItem{Label: memoryLabel[m], Thumb: l})
		}
	}
	if hasGap {
		f.Legend = append(f.Legend, LegendItem{Label: "held but not live (anon − live)", Thumb: gap})
	}
	if cg != nil {
		for _, lim := range []struct {
			l     units.Limit
			name  string
			style draw.LineStyle
		}{
			{cg.Limit, "hard limit", draw.LineStyle{Color: color.NRGBA{200, 0, 0, 255}, Width: 1.2, Dashes: []vg.Length{6, 3}}},
			{cg.High, highName(cg.Version), draw.LineStyle{Color: color.NRGBA{210, 120, 0, 255}, Width: 1.1, Dashes: []vg.Length{2, 2}}},
		} {
			v, ok := lim.l.Bytes()
			if !ok || v <= 0 {
				continue
			}
			label := "cgroup " + lim.name + " " + units.FormatBytes(v)
			if float64(v) > 2*ymax && ymax > 0 {
				// Far above the data: drawing it would flatten every curve.
				f.Legend = append(f.Legend, LegendItem{Label: label + " (off scale)", Thumb: hLine{style: lim.style}})
				continue
			}
			ymax = max(ymax, float64(v))
			p.Add(hLine{y: float64(v), label: label, style: lim.style})
			f.Legend = append(f.Legend, LegendItem{Label: label, Thumb: hLine{style: lim.style}})
		}
	}
	if pk, ok := r.peakMark(); ok {
		p.Add(pk)
	}
	p.Add(eventMarkers{events: r.Events})
	f.Legend = append(f.Legend, eventLegend(r.Events)...)
	p.Y.Min, p.Y.Max = 0, headroom(ymax)
	return f
}

// memoryLabel is each metric's name in the memory figure's legend, which
// says where the figure comes from.
var memoryLabel = map[Metric]string{
	MetricRSS:         "RSS",
	MetricAnon:        "anon (RssAnon)",
	MetricHeapHeld:    "heap held (allocator's count, at each refresh)",
	MetricLive:        "live (requested)",
	MetricCgroupUsage: "cgroup usage",
	MetricCgroupSwap:  "cgroup swap (memory beyond the usage)",
	MetricAnonHuge:    "THP (AnonHugePages, read at a budget, carried between)",
	MetricHugeTLB:     "explicit huge pages (HugetlbPages)",
	MetricLocked:      "locked (VmLck)",
	MetricCgroupFile:  "cgroup page cache (memory.stat file, shmem included)",
	MetricCgroupShmem: "cgroup shmem (tmpfs, memfd, shm)",
}

// filePages reports whether the cgroup's page cache or shmem (m) reached
// a tenth of its peak usage: its curve is drawn only then, since every run
// has some (memstorm's own binary, read by the worker) that would only
// crowd the figure.
func filePages(samples []rundir.Sample, m Metric) bool {
	var top, usage float64
	for i := range samples {
		if v := m.value(&samples[i]); v > top {
			top = v
		}
		usage = max(usage, float64(samples[i].CgroupUsage))
	}
	return usage > 0 && top >= usage/10
}

// swapped reports whether the run's cgroup used swap: its curve is drawn
// only then (a flat 0 would only crowd the figure).
func swapped(cg *rundir.CgroupSummary) bool { return cg != nil && cg.PeakSwapBytes > 0 }

func highName(v int) string {
	if v == 1 {
		return "soft limit"
	}
	return "high limit"
}

// headroom leaves space above the highest value for the phase labels.
func headroom(ymax float64) float64 {
	if ymax <= 0 {
		return 1
	}
	return ymax * 1.12
}

// Thumbnail implements plot.Thumbnailer so a limit line can sit in a legend.
func (h hLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(h.style, c.Min.X, y, c.Max.X, y)
}

// FragmentationFigure is RSS / live and heap held / heap in-use over time;
// a gap where live (or in-use) is zero. The axis is scaled to the samples
// where live is at least fragFloor of its peak: when almost nothing is live
// the ratio shoots to thousands and would flatten the part worth reading
// (those stretches still draw, clipped, and the legend says so). The axis
// turns logarithmic when the ratios shown span more than a factor of 20.
func (r *Run) FragmentationFigure() *Figure {
	xmin, xmax := r.timeSpan()
	ta := TimeAxisFor(xmax - xmin)
	peakLive := int64(0)
	for i := range r.Samples {
		peakLive = max(peakLive, r.Samples[i].Live, r.Samples[i].HeapInuse)
	}
	type fragLine struct {
		l     *envLine
		label string
	}
	var lines []fragLine
	lo, hi, all := math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, m := range []Metric{MetricFragRSS, MetricFragHeap} {
		s := Series{Samples: r.Samples, Metric: m}
		var xys plotter.XYer = s
		if m == MetricFragHeap {
			xys = measuredPoints(s) // the heap figures at each refresh only
		}
		l := newEnvLine(positive{xys}, seriesStyle[m], false)
		if !l.ok {
			continue
		}
		_, _, flo, fhi, ok := dataRange(liveFloor{s, int64(fragFloor * float64(peakLive))})
		if !ok {
			flo, fhi = l.ymin, l.ymax
		}
		lines = append(lines, fragLine{l, map[Metric]string{MetricFragRSS: "RSS / live requested", MetricFragHeap: "heap held / heap in-use"}[m]})
		lo, hi, all = min(lo, flo), max(hi, fhi), max(all, l.ymax)
	}
	logY := len(lines) > 0 && hi/lo > 20
	p := newPanel("ratio", RatioTicks{Log: logY}, ta, xmin, xmax)
	f := &Figure{Name: "fragmentation", Title: r.title("fragmentation: memory held per byte in use"), Width: FigureWidth, Height: 3.6 * vg.Inch, Panels: []*plot.Plot{p}}
	p.Add(phaseBands{spans: r.Phases(), label: true}, grid{})
	one := hLine{y: 1, style: draw.LineStyle{Color: color.NRGBA{120, 120, 120, 255}, Width: 0.8, Dashes: []vg.Length{2, 2}}}
	p.Add(one)
	for _, fl := range lines {
		fl.l.logY = logY
		p.Add(fl.l)
		f.Legend = append(f.Legend, LegendItem{Label: fl.label, Thumb: fl.l})
	}
	f.Legend = append(f.Legend, LegendItem{Label: "1x = no overhead", Thumb: one})
	p.Add(eventMarkers{events: r.Events})
	switch {
	case len(lines) == 0:
		p.Y.Min, p.Y.Max = 0, 2
	case logY:
		p.Y.Scale = plot.LogScale{}
		p.Y.Min, p.Y.Max = min(lo, 1)/1.2, hi*1.6
	default:
		p.Y.Min, p.Y.Max = 0, headroom(max(hi, 1))
	}
	if all > p.Y.Max {
		f.Legend = append(f.Legend, LegendItem{Label: fmt.Sprintf("(clipped: up to %s while under %.0f%% of peak is live)", units.FormatTimes(all), 100*fragFloor)})
	}
	return f
}

// fragFloor is the share of peak live bytes under which a ratio does not
// set the fragmentation axis.
const fragFloor = 0.02

// liveFloor hides ratios of samples whose live bytes (or heap in-use, for
// the heap ratio) are under a floor.
type liveFloor struct {
	s     Series
	floor int64
}

func (l liveFloor) Len() int { return l.s.Len() }

func (l liveFloor) XY(i int) (float64, float64) {
	x, y := l.s.XY(i)
	sm := &l.s.Samples[i]
	den := sm.Live
	if l.s.Metric == MetricFragHeap {
		den = sm.HeapInuse
	}
	if den < l.floor || y <= 0 {
		return x, math.NaN()
	}
	return x, y
}

// ActivityFigure is the allocation and free rate, the page-fault rate and,
// where recorded, memory pressure, as stacked panels on one time axis.
func (r *Run) ActivityFigure() *Figure {
	xmin, xmax := r.timeSpan()
	ta := TimeAxisFor(xmax - xmin)
	f := &Figure{Name: "activity", Title: r.title("allocation activity"), Width: FigureWidth}
	addLine := func(p *plot.Plot, xy plotter.XYer, label string, style draw.LineStyle) float64 {
		l := newEnvLine(xy, style, false)
		p.Add(l)
		f.Legend = append(f.Legend, LegendItem{Label: label, Thumb: l})
		if !l.ok {
			return 0
		}
		return l.ymax
	}
	panel := func(label string, t plot.Ticker) *plot.Plot {
		p := newPanel(label, t, ta, xmin, xmax)
		p.Add(phaseBands{spans: r.Phases(), label: len(f.Panels) == 0}, grid{})
		f.Panels = append(f.Panels, p)
		return p
	}

	p := panel("bytes/s", RateTicks{})
	top := 0.0
	if a := (Rate{Samples: r.Samples, Counter: CounterAlloc}); a.HasData() {
		top = max(top, addLine(p, a, "allocated/s", draw.LineStyle{Color: paletteColor(0), Width: 1.1}))
	}
	if fr := (Rate{Samples: r.Samples, Counter: CounterFree}); fr.HasData() {
		top = max(top, addLine(p, fr, "freed/s", draw.LineStyle{Color: paletteColor(1), Width: 1.1}))
	}
	p.Y.Min, p.Y.Max = 0, headroom(top)

	p = panel("faults/s", CountTicks{})
	top = 0
	if m := (Rate{Samples: r.Samples, Counter: CounterMinFlt}); m.HasData() {
		top = max(top, addLine(p, m, "minor faults/s", draw.LineStyle{Color: paletteColor(2), Width: 1.1}))
	}
	if m := (Rate{Samples: r.Samples, Counter: CounterMajFlt}); m.HasData() && anyPositive(m) {
		top = max(top, addLine(p, m, "major faults/s", draw.LineStyle{Color: paletteColor(4), Width: 1.1}))
	}
	p.Y.Min, p.Y.Max = 0, headroom(top)

	if s := (Series{Samples: r.Samples, Metric: MetricPSI}); s.HasData() {
		p = panel("pressure (%)", plot.DefaultTicks{})
		label := "memory PSI some avg10 (%) of the run's cgroup"
		if r.Summary.PSISource == "host" {
			label = "memory PSI some avg10 (%) of the whole host: the run's cgroup has none (cgroup v1)"
		}
		top = addLine(p, s, label, seriesStyle[MetricPSI])
		p.Y.Min, p.Y.Max = 0, max(headroom(top), 1)
	}
	for i, p := range f.Panels {
		p.Add(eventMarkers{events: r.Events})
		if i < len(f.Panels)-1 {
			p.X.Tick.Marker = unlabelled{ta}
			p.X.Label.Text = ""
		}
	}
	f.Height = vg.Length(len(f.Panels))*1.9*vg.Inch + 0.9*vg.Inch
	return f
}

// anyPositive says whether some point of xys has y > 0.
func anyPositive(xys plotter.XYer) bool {
	for i := 0; i < xys.Len(); i++ {
		if _, y := xys.XY(i); y > 0 {
			return true
		}
	}
	return false
}

// title prefixes a figure's title with the run's scenario and allocator.
func (r *Run) title(what string) string {
	return r.Label() + ": " + what
}

// Label names a run as "<scenario> / <allocator>", with "(incomplete)"
// after the scenario of a run without summary.json.
func (r *Run) Label() string {
	sc, al := r.Summary.Scenario, r.Summary.Allocator.Name
	if sc == "" {
		sc = "run"
	}
	if r.Incomplete {
		sc += " (incomplete)"
	}
	if al == "" {
		return sc
	}
	return sc + " / " + al
}
