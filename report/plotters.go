package report

import (
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
