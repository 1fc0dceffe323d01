package report

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PhaseSpan is one phase's extent in seconds.
type PhaseSpan struct {
	Name       string
	Start, End float64
	Unfinished bool // the run ended (a kill, a crash) before the phase did
}

// Phases returns the run's phases: from the summary, else from the phase
// column of the samples. A phase the run never finished (its end is not
// after its start) lasts to the end of the run.
func (r *Run) Phases() []PhaseSpan {
	_, end := r.timeSpan()
	var out []PhaseSpan
	for _, p := range r.Summary.Phases {
		sp := PhaseSpan{Name: p.Name, Start: p.StartS, End: p.EndS}
		if sp.End < sp.Start {
			sp.End, sp.Unfinished = end, true
		}
		out = append(out, sp)
	}
	if len(out) > 0 {
		return out
	}
	for i := range r.Samples {
		s := &r.Samples[i]
		if s.Phase == "" {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Name == s.Phase {
			out[n-1].End = s.T
			continue
		}
		out = append(out, PhaseSpan{Name: s.Phase, Start: s.T, End: s.T})
	}
	return out
}

// phaseBands shades phases in alternating tones, each labelled at the top
// of its band. A phase too narrow for its name (a 10 ms free between two
// long phases) is still drawn at least minBand wide, and its name is
// written upright along the band; names that would overlap a neighbour's
// are left out rather than drawn on top of each other.
type phaseBands struct {
	spans  []PhaseSpan
	offset float64
	label  bool
}

var bandColors = [2]color.Color{color.NRGBA{228, 235, 246, 255}, color.NRGBA{248, 241, 226, 255}}

const minBand = 1.5 // points

// Plot implements plot.Plotter.
func (b phaseBands) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	type band struct {
		x0, x1 vg.Length
		name   string
	}
	var bands []band
	for i, s := range b.spans {
		x0, x1 := trX(s.Start-b.offset), trX(s.End-b.offset)
		if x1 < c.Min.X || x0 > c.Max.X {
			continue
		}
		if x1-x0 < minBand {
			mid := (x0 + x1) / 2
			x0, x1 = mid-minBand/2, mid+minBand/2
		}
		x0, x1 = max(x0, c.Min.X), min(x1, c.Max.X)
		c.FillPolygon(bandColors[i%2], []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		name := s.Name
		if s.Unfinished {
			name += " (unfinished)"
		}
		bands = append(bands, band{x0, x1, name})
	}
	if !b.label {
		return
	}
	sty := textStyle(8, color.NRGBA{50, 50, 50, 255})
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	up := sty
	up.Rotation = -math.Pi / 2
	up.XAlign, up.YAlign = draw.XLeft, draw.YCenter
	lineH := sty.Height("Mg")
	right := c.Min.X - 1000 // right edge of the last label drawn
	for _, bd := range bands {
		w := bd.x1 - bd.x0
		mid := (bd.x0 + bd.x1) / 2
		if tw := sty.Width(bd.name); tw <= w-4 {
			if mid-tw/2 > right {
				c.FillText(sty, vg.Point{X: mid, Y: c.Max.Y - 2}, bd.name)
				right = mid + tw/2
			}
			continue
		}
		if w >= 40 { // room for a shortened name across the band
			if name := fitText(sty, bd.name, w-4); name != "" && mid-sty.Width(name)/2 > right {
				c.FillText(sty, vg.Point{X: mid, Y: c.Max.Y - 2}, name)
				right = mid + sty.Width(name)/2
			}
			continue
		}
		// Upright along the band, top down, over a light box so that it
		// stays legible where it crosses a line.
		if mid-lineH/2 <= right+1 {
			continue
		}
		tl := min(sty.Width(bd.name), (c.Max.Y-c.Min.Y)/3)
		name := bd.name
		if sty.Width(name) > tl {
			name = fitText(sty, name, tl)
		}
		if name == "" {
			continue
		}
		tl = sty.Width(name)
		boxStyle(c, vg.Rectangle{Min: vg.Point{X: mid - lineH/2, Y: c.Max.Y - 3 - tl}, Max: vg.Point{X: mid + lineH/2, Y: c.Max.Y - 1}})
		c.FillText(up, vg.Point{X: mid, Y: c.Max.Y - 2}, name)
		right = mid + lineH/2
	}
}

// boxStyle fills r with a translucent white, under a label.
func boxStyle(c draw.Canvas, r vg.Rectangle) {
	c.FillPolygon(color.NRGBA{255, 255, 255, 200}, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

// fitText shortens s with an ellipsis to fit w, or returns "" when not even
// two characters fit.
func fitText(sty text.Style, s string, w vg.Length) string {
	r := []rune(s)
	for n := len(r) - 1; n >= 2; n-- {
		t := string(r[:n]) + "…"
		if sty.Width(t) <= w {
			return t
		}
	}
	return ""
}
