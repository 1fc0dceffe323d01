package fleet

import (
	"image/color"
	"math"
	"strconv"

	"github.com/memstorm/memstorm/report"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// maxLines is how many runs of a scenario the overlay draws one by one;
// past it, the band of all runs stands for them, with the worst drawn.
const maxLines = 24

// bandColumns is the band's resolution in time columns.
const bandColumns = 200

var (
	bandFill   = color.NRGBA{31, 95, 168, 50}
	lineColor  = color.NRGBA{90, 90, 90, 150}
	worstColor = color.NRGBA{200, 20, 20, 255}
	limitColor = color.NRGBA{0, 0, 0, 200}
)

// shareTicks labels a share of the limit in percent.
type shareTicks struct{}

func (shareTicks) Ticks(lo, hi float64) []plot.Tick {
	t := plot.DefaultTicks{}.Ticks(lo*100, hi*100)
	for i := range t {
		t[i].Value /= 100
		if t[i].Label != "" {
			t[i].Label += "%"
		}
	}
	return t
}

// Figure overlays the cgroup usage of every run of scenario: over the
// limit when every run had one (the limit drawn at 100%), else in bytes.
// The band spans all runs (lowest to highest at each time); the runs are
// drawn one by one when there are at most maxLines of them; the worst
// node's runs are drawn in red on top. It returns nil when no run of the
// scenario has a usage curve.
func (f *Fleet) Figure(scenario string) *report.Figure {
	var idx []int
	shares := true
	tmax := 0.0
	for i, r := range f.Rows {
		if r.Scenario != scenario || len(r.curve) == 0 {
			continue
		}
		idx = append(idx, i)
		shares = shares && r.LimitBytes != nil
		tmax = max(tmax, r.curve[len(r.curve)-1].X)
	}
	if len(idx) == 0 {
		return nil
	}
	ta := report.TimeAxisFor(tmax)
	var ticks plot.Ticker = report.ByteTicks{}
	ylabel := "cgroup usage"
	if shares {
		ticks, ylabel = shareTicks{}, "cgroup usage / limit"
	}
	p := report.NewPanel(ylabel, ticks, ta, 0, math.Max(tmax, 1e-3))
	p.Add(report.Grid())
	fig := &report.Figure{Name: "fleet-" + scenario, Title: scenario + ": cgroup usage on " + strconv.Itoa(len(idx)) + " runs", Width: report.FigureWidth, Height: 4 * vg.Inch, Panels: []*plot.Plot{p}}
	band := f.band(idx, tmax)
	if band != nil {
		p.Add(band)
		fig.Legend = append(fig.Legend, report.LegendItem{Label: "all runs, lowest to highest", Thumb: band})
	}
	ymax := 0.0
	var thin, worst *plotter.Line
	var top []plot.Plotter // the worst node's lines, drawn last
	for _, i := range idx {
		r := &f.Rows[i]
		for _, pt := range r.curve {
			if !math.IsNaN(pt.Y) {
				ymax = max(ymax, pt.Y)
			}
		}
		isWorst := r.Node == f.Worst
		if !isWorst && len(idx) > maxLines {
			continue
		}
		l, err := plotter.NewLine(r.curve)
		if err != nil {
			continue // a curve of NaNs only: nothing to draw
		}
		l.Color, l.Width = lineColor, vg.Points(0.8)
		if isWorst {
			l.Color, l.Width = worstColor, vg.Points(2)
			worst = l
			top = append(top, l)
			continue
		}
		thin = l
		p.Add(l)
	}
	p.Add(top...)
	if thin != nil {
		fig.Legend = append(fig.Legend, report.LegendItem{Label: "one run", Thumb: thin})
	}
	if worst != nil {
		fig.Legend = append(fig.Legend, report.LegendItem{Label: "worst node: " + f.Worst, Thumb: worst})
	}
	p.Y.Min = 0
	if shares {
		lim := plotter.NewFunction(func(float64) float64 { return 1 })
		lim.Color, lim.Width, lim.Dashes = limitColor, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(lim)
		fig.Legend = append(fig.Legend, report.LegendItem{Label: "limit", Thumb: lim})
		ymax = max(ymax, 1)
	}
	p.Y.Max = ymax * 1.05
	return fig
}

// band is the polygon from the lowest to the highest value of the runs at
// each of bandColumns time columns; nil with fewer than two runs.
func (f *Fleet) band(idx []int, tmax float64) *plotter.Polygon {
	if len(idx) < 2 || !(tmax > 0) {
		return nil
	}
	lo := make([]float64, bandColumns)
	hi := make([]float64, bandColumns)
	for k := range lo {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
	}
	colMax := make([]float64, bandColumns)
	for _, i := range idx {
		for k := range colMax {
			colMax[k] = math.NaN()
		}
		for _, pt := range f.Rows[i].curve {
			if math.IsNaN(pt.Y) || math.IsNaN(pt.X) {
				continue
			}
			k := min(int(pt.X/tmax*bandColumns), bandColumns-1)
			if math.IsNaN(colMax[k]) || pt.Y > colMax[k] {
				colMax[k] = pt.Y
			}
		}
		for k, v := range colMax {
			if !math.IsNaN(v) {
				lo[k], hi[k] = math.Min(lo[k], v), math.Max(hi[k], v)
			}
		}
	}
	var upper, lower plotter.XYs
	for k := range lo {
		if math.IsInf(lo[k], 1) {
			continue
		}
		x := (float64(k) + 0.5) * tmax / bandColumns
		upper = append(upper, plotter.XY{X: x, Y: hi[k]})
		lower = append(lower, plotter.XY{X: x, Y: lo[k]})
	}
	if len(upper) < 2 {
		return nil
	}
	for i := len(lower) - 1; i >= 0; i-- {
		upper = append(upper, lower[i])
	}
	poly, err := plotter.NewPolygon(upper)
	if err != nil {
		return nil
	}
	poly.Color = bandFill
	poly.LineStyle = draw.LineStyle{}
	return poly
}
