package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// sansFont is the face every figure's text uses.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textStyle is a plain text style of the given size.
func textStyle(size vg.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(sansFont, size), Handler: plot.DefaultTextHandler}
}

// palette is a colour-blind-friendly set (Okabe-Ito, darkened where thin
// lines on white need it).
var palette = []color.NRGBA{
	{0, 90, 181, 255},   // blue
	{220, 50, 32, 255},  // vermillion
	{0, 140, 100, 255},  // green
	{230, 140, 0, 255},  // orange
	{120, 60, 160, 255}, // purple
	{90, 90, 90, 255},   // grey
	{200, 60, 150, 255}, // pink
	{60, 170, 220, 255}, // sky blue
}

func paletteColor(i int) color.NRGBA { return palette[i%len(palette)] }

// envLine draws an XYer as a line through its per-column min/max envelope,
// computed at draw time for the canvas's width, with gaps where y is NaN.
// It reads the XYer in place; only the envelope (two points a column) is
// ever materialised.
type envLine struct {
	xys   plotter.XYer
	style draw.LineStyle
	logY  bool // drop y <= 0 (a gap), which a log axis cannot show

	xmin, xmax, ymin, ymax float64
	ok                     bool
}

func newEnvLine(xys plotter.XYer, style draw.LineStyle, logY bool) *envLine {
	l := &envLine{xys: xys, style: style, logY: logY}
	if logY {
		l.xmin, l.xmax, l.ymin, l.ymax, l.ok = dataRange(positive{xys})
	} else {
		l.xmin, l.xmax, l.ymin, l.ymax, l.ok = dataRange(xys)
	}
	return l
}

// positive turns y <= 0 into NaN.
type positive struct{ plotter.XYer }

func (p positive) XY(i int) (float64, float64) {
	x, y := p.XYer.XY(i)
	if y <= 0 {
		return x, math.NaN()
	}
	return x, y
}

// Plot implements plot.Plotter.
func (l *envLine) Plot(c draw.Canvas, plt *plot.Plot) {
	if !l.ok {
		return
	}
	xys := l.xys
	if l.logY {
		xys = positive{xys}
	}
	trX, trY := plt.Transforms(&c)
	cols := int(math.Ceil(float64(c.Max.X - c.Min.X)))
	env := Envelope(xys, plt.X.Min, plt.X.Max, max(cols, 1))
	var lines [][]vg.Point
	var cur []vg.Point
	for _, p := range env {
		if math.IsNaN(p.Y) {
			if len(cur) > 0 {
				lines = append(lines, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, vg.Point{X: trX(p.X), Y: trY(p.Y)})
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	for _, ln := range lines {
		if len(ln) == 1 { // an isolated point: draw a dot-sized segment
			ln = append(ln, vg.Point{X: ln[0].X + l.style.Width, Y: ln[0].Y})
		}
		clipped := c.ClipLinesXY(ln)
		if len(l.style.Dashes) == 0 {
			clipped = strokeChunks(clipped)
		}
		c.StrokeLines(l.style, clipped...)
	}
}

// strokeChunk is the most points one stroked path gets. The PNG rasteriser
// (freetype's) keeps a sorted list of cells per pixel row and searches it
// linearly, so one long jagged path costs quadratic time: a million-sample
// envelope took over a second a figure. Paths of a few dozen points, each
// sharing its first point with the previous one's last, look the same
// and draw in linear time. Dashed lines stay whole so the dash pattern runs
// on.
const strokeChunk = 48

// strokeChunks splits lines into paths of at most strokeChunk points.
func strokeChunks(lines [][]vg.Point) [][]vg.Point {
	var out [][]vg.Point
	for _, ln := range lines {
		for len(ln) > strokeChunk {
			out = append(out, ln[:strokeChunk])
			ln = ln[strokeChunk-1:]
		}
		out = append(out, ln)
	}
	return out
}

// DataRange implements plot.DataRanger.
func (l *envLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	if !l.ok {
		return math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	}
	return l.xmin, l.xmax, l.ymin, l.ymax
}

// Thumbnail implements plot.Thumbnailer.
func (l *envLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.style, c.Min.X, y, c.Max.X, y)
}

// PhaseSpan is one phase's extent in seconds.
type PhaseSpan struct {
	Name       string
	Start, End float64
}

// phaseBands shades phases in alternating tones, each labelled at the top
// of its band when the label fits.
type phaseBands struct {
	spans  []PhaseSpan
	offset float64
	label  bool
}

var bandColors = [2]color.Color{color.NRGBA{235, 240, 248, 255}, color.NRGBA{250, 246, 236, 255}}

// Plot implements plot.Plotter.
func (b phaseBands) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	sty := textStyle(8, color.NRGBA{60, 60, 60, 255})
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	for i, s := range b.spans {
		x0, x1 := trX(s.Start-b.offset), trX(s.End-b.offset)
		x0, x1 = max(x0, c.Min.X), min(x1, c.Max.X)
		if x1 <= x0 {
			continue
		}
		c.FillPolygon(bandColors[i%2], []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		if !b.label {
			continue
		}
		name := s.Name
		if w := x1 - x0 - 4; sty.Width(name) > w {
			name = fitText(sty, name, w)
		}
		if name == "" {
			continue
		}
		c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: c.Max.Y - 2}, name)
	}
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

// eventKinds are the events figures mark, with their colours.
var eventKinds = map[string]color.NRGBA{
	EventOOMKill: {200, 0, 0, 255},
	EventENOMEM:  {230, 110, 0, 255},
	EventTrim:    {0, 130, 130, 255},
	EventLimit:   {150, 0, 150, 255},
}

// eventMarkers draws vertical dashed lines at events, labelled along the
// line; events of one kind closer than a label's height share one label
// with a count.
type eventMarkers struct {
	events []Event
	offset float64
}

// Plot implements plot.Plotter.
func (m eventMarkers) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	lastLabel := map[string]int{} // kind -> index in labels
	type label struct {
		x    vg.Length
		kind string
		n    int
	}
	var labels []label
	for _, e := range m.events {
		col, ok := eventKinds[e.Kind]
		if !ok {
			continue
		}
		x := trX(e.T - m.offset)
		if x < c.Min.X || x > c.Max.X {
			continue
		}
		ls := draw.LineStyle{Color: col, Width: 1, Dashes: []vg.Length{3, 2}}
		c.StrokeLine2(ls, x, c.Min.Y, x, c.Max.Y)
		if i, ok := lastLabel[e.Kind]; ok && x-labels[i].x < 12 {
			labels[i].n++
			continue
		}
		lastLabel[e.Kind] = len(labels)
		labels = append(labels, label{x: x, kind: e.Kind, n: 1})
	}
	for _, l := range labels {
		sty := textStyle(8, eventKinds[l.kind])
		sty.Rotation = math.Pi / 2
		sty.XAlign, sty.YAlign = draw.XRight, draw.YBottom
		txt := l.kind
		if l.n > 1 {
			txt = fmt.Sprintf("%s ×%d", l.kind, l.n)
		}
		c.FillText(sty, vg.Point{X: l.x - 1, Y: c.Max.Y - 14}, txt)
	}
}

// hLine is a labelled horizontal reference line (a cgroup limit, ratio 1).
type hLine struct {
	y     float64
	label string
	style draw.LineStyle
}

// Plot implements plot.Plotter.
func (h hLine) Plot(c draw.Canvas, plt *plot.Plot) {
	_, trY := plt.Transforms(&c)
	y := trY(h.y)
	if y < c.Min.Y || y > c.Max.Y {
		return
	}
	c.StrokeLine2(h.style, c.Min.X, y, c.Max.X, y)
	if h.label == "" {
		return
	}
	sty := textStyle(8, h.style.Color)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	c.FillText(sty, vg.Point{X: c.Min.X + 4, Y: y + 1}, h.label)
}
