package report

import (
	"image/color"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// peakMark is a dot at the run's peak RSS with the figure written beside
// it, so that "where did memory peak" needs no reading of axes.
type peakMark struct {
	t, y  float64
	label string
	color color.Color
}

// peakMark finds the sample with the highest RSS. When the run was
// OOM-killed the cgroup's own peak (which the kernel records and sampling
// misses, since the kill comes between samples) is marked at the kill
// instead.
func (r *Run) peakMark() (peakMark, bool) {
	best := -1
	for i := range r.Samples {
		if r.Samples[i].RSS >= 0 && (best < 0 || r.Samples[i].RSS > r.Samples[best].RSS) {
			best = i
		}
	}
	if cg := r.Summary.Cgroup; cg != nil && r.Summary.Outcome == rundir.OutcomeOOMKilled && cg.PeakUsageBytes > 0 {
		for _, e := range r.Events {
			if e.Kind == rundir.EventOOMKill {
				return peakMark{t: e.T, y: float64(cg.PeakUsageBytes), label: "cgroup peak " + units.FormatBytes(cg.PeakUsageBytes), color: seriesStyle[MetricCgroupUsage].Color}, true
			}
		}
	}
	if best < 0 {
		return peakMark{}, false
	}
	s := &r.Samples[best]
	return peakMark{t: s.T, y: float64(s.RSS), label: "peak RSS " + units.FormatBytes(s.RSS), color: seriesStyle[MetricRSS].Color}, true
}

// Plot implements plot.Plotter.
func (m peakMark) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	pt := vg.Point{X: trX(m.t), Y: trY(m.y)}
	if !c.Contains(pt) {
		return
	}
	c.DrawGlyph(draw.GlyphStyle{Color: m.color, Radius: 3, Shape: draw.CircleGlyph{}}, pt)
	sty := textStyle(9, m.color)
	sty.YAlign = draw.YBottom
	sty.XAlign = draw.XLeft
	w, h := sty.Width(m.label), sty.Height(m.label)
	// Clear of the dot and of an upright phase name beside it (a short
	// phase often starts where memory peaks).
	left := pt.X + 16
	if left+w > c.Max.X { // no room on the right: write it on the left
		left = pt.X - 5 - w
	}
	boxStyle(c, vg.Rectangle{Min: vg.Point{X: left - 1, Y: pt.Y + 3}, Max: vg.Point{X: left + w + 1, Y: pt.Y + 4 + h}})
	x := left
	c.FillText(sty, vg.Point{X: x, Y: pt.Y + 4}, m.label)
}
