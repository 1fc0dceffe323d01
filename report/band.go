package report

import (
	"image/color"
	"math"

	"github.com/memstorm/memstorm/rundir"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// gapBand shades the space between two metrics of the same samples where
// the upper one is above the lower one: in the memory figure, the bytes the
// process holds (anon) beyond the bytes the program has live. That area is
// the story of most fragmentation runs, so it is filled, not just bounded
// by two lines. Like envLine it works on a per-column envelope: in each
// column the band spans the lowest lower value to the highest upper one.
type gapBand struct {
	samples      []rundir.Sample
	upper, lower Metric
	fill         color.Color
}

// Plot implements plot.Plotter.
func (g gapBand) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	cols := max(int(math.Ceil(float64(c.Max.X-c.Min.X))), 1)
	xmin, xmax := plt.X.Min, plt.X.Max
	width := (xmax - xmin) / float64(cols)
	type col struct {
		x, hi, lo float64
		ok        bool
	}
	var run []col
	flush := func() {
		if len(run) == 0 {
			return
		}
		pts := make([]vg.Point, 0, 2*len(run))
		for _, p := range run {
			pts = append(pts, vg.Point{X: trX(p.x), Y: trY(p.hi)})
		}
		for i := len(run) - 1; i >= 0; i-- {
			pts = append(pts, vg.Point{X: trX(run[i].x), Y: trY(run[i].lo)})
		}
		if len(run) == 1 { // one column: a sliver, so that it shows
			pts = []vg.Point{{X: pts[0].X - 0.5, Y: pts[0].Y}, {X: pts[0].X + 0.5, Y: pts[0].Y}, {X: pts[1].X + 0.5, Y: pts[1].Y}, {X: pts[1].X - 0.5, Y: pts[1].Y}}
		}
		c.FillPolygon(g.fill, c.ClipPolygonXY(pts))
		run = run[:0]
	}
	cur := col{}
	curCol := -1
	end := func() {
		if !cur.ok {
			flush()
			return
		}
		run = append(run, cur)
	}
	for i := range g.samples {
		s := &g.samples[i]
		if s.T < xmin || s.T > xmax {
			continue
		}
		k := cols - 1
		if width > 0 {
			k = min(int((s.T-xmin)/width), cols-1)
		}
		if k != curCol {
			if curCol >= 0 {
				end()
			}
			curCol, cur = k, col{x: s.T}
		}
		hi, lo := g.upper.value(s), g.lower.value(s)
		if math.IsNaN(hi) || math.IsNaN(lo) || hi <= lo {
			continue
		}
		if !cur.ok {
			cur = col{x: s.T, hi: hi, lo: lo, ok: true}
			continue
		}
		cur.hi, cur.lo = max(cur.hi, hi), min(cur.lo, lo)
	}
	if curCol >= 0 {
		end()
	}
	flush()
}

// Thumbnail implements plot.Thumbnailer.
func (g gapBand) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(g.fill, []vg.Point{{X: r.Min.X, Y: r.Min.Y + 1}, {X: r.Max.X, Y: r.Min.Y + 1}, {X: r.Max.X, Y: r.Max.Y - 1}, {X: r.Min.X, Y: r.Max.Y - 1}})
}
