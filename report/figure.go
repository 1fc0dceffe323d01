package report

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"

	"github.com/memstorm/memstorm/rundir"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is a titled stack of panels sharing the time axis, with one legend
// strip below them so that the legend never covers data.
type Figure struct {
	Name   string // file stem: memory, fragmentation, activity, ...
	Title  string
	Width  vg.Length
	Height vg.Length
	Panels []*plot.Plot
	Legend []LegendItem

	dataAreas []draw.Canvas // each panel's data area, as last drawn
}

// LegendItem is one entry of a figure's legend.
type LegendItem struct {
	Label string
	Thumb plot.Thumbnailer
}

// width is the room the item takes in a legend row.
func (it LegendItem) width(sty text.Style) vg.Length {
	w := sty.Width(it.Label) + legendGap
	if it.Thumb != nil {
		w += legendThumbW + 4
	}
	return w
}

// PNGDPI is the resolution of the PNG figures.
const PNGDPI = 144

const (
	legendThumbW = 22
	legendGap    = 14
	legendFont   = 9
	titleFont    = 13
)

// legendRows lays out the legend in rows that fit width.
func (f *Figure) legendRows(width vg.Length) [][]LegendItem {
	sty := textStyle(legendFont, color.Black)
	var rows [][]LegendItem
	var cur []LegendItem
	var w vg.Length
	for _, it := range f.Legend {
		iw := it.width(sty)
		if len(cur) > 0 && w+iw > width {
			rows = append(rows, cur)
			cur, w = nil, 0
		}
		cur = append(cur, it)
		w += iw
	}
	if len(cur) > 0 {
		rows = append(rows, cur)
	}
	return rows
}

// Draw draws the figure on c.
func (f *Figure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())

	tsty := textStyle(titleFont, color.Black)
	tsty.XAlign, tsty.YAlign = draw.XCenter, draw.YTop
	titleH := vg.Length(0)
	if f.Title != "" {
		titleH = tsty.Height(f.Title) + 12
		c.FillText(tsty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - 4}, f.Title)
	}

	lsty := textStyle(legendFont, color.Black)
	lsty.YAlign = draw.YCenter
	rowH := lsty.Height("Mg") + 5
	rows := f.legendRows(c.Max.X - c.Min.X - 20)
	legendH := vg.Length(len(rows))*rowH + 6
	for i, row := range rows {
		var w vg.Length
		for _, it := range row {
			w += it.width(lsty)
		}
		x := (c.Min.X+c.Max.X)/2 - (w-legendGap)/2
		y := c.Min.Y + legendH - 3 - vg.Length(i)*rowH - rowH/2
		for _, it := range row {
			tx := x
			if it.Thumb != nil {
				tc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
					Min: vg.Point{X: x, Y: y - rowH/2 + 2}, Max: vg.Point{X: x + legendThumbW, Y: y + rowH/2 - 2}}}
				it.Thumb.Thumbnail(&tc)
				tx += legendThumbW + 4
			}
			c.FillText(lsty, vg.Point{X: tx, Y: y}, it.Label)
			x += it.width(lsty)
		}
	}

	area := draw.Crop(c, 4, -8, legendH, -titleH)
	if len(f.Panels) == 0 {
		return
	}
	grid := make([][]*plot.Plot, len(f.Panels))
	for i, p := range f.Panels {
		grid[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(f.Panels), Cols: 1, PadY: 6}
	canvases := plot.Align(grid, tiles, area)
	f.dataAreas = f.dataAreas[:0]
	for i, p := range f.Panels {
		p.Draw(canvases[i][0])
		f.dataAreas = append(f.dataAreas, p.DataCanvas(canvases[i][0]))
	}
}

// WriteSVG renders the figure as SVG to w.
func (f *Figure) WriteSVG(w io.Writer) error {
	c := vgsvg.New(f.Width, f.Height)
	f.Draw(draw.New(c))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("writing %s.svg: %w", f.Name, err)
	}
	return nil
}

// WritePNG renders the figure as PNG to w.
func (f *Figure) WritePNG(w io.Writer) error {
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(PNGDPI))
	f.Draw(draw.New(c))
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
		return fmt.Errorf("writing %s.png: %w", f.Name, err)
	}
	return nil
}

// save writes NAME.png and NAME.svg into dir and returns the SVG.
func (f *Figure) save(dir string) ([]byte, error) {
	var svg bytes.Buffer
	if err := f.WriteSVG(&svg); err != nil {
		return nil, err
	}
	if err := rundir.WriteFileAtomic(filepath.Join(dir, f.Name+".svg"), svg.Bytes()); err != nil {
		return nil, err
	}
	var png bytes.Buffer
	if err := f.WritePNG(&png); err != nil {
		return nil, err
	}
	if err := rundir.WriteFileAtomic(filepath.Join(dir, f.Name+".png"), png.Bytes()); err != nil {
		return nil, err
	}
	return svg.Bytes(), nil
}

// unlabelled keeps a ticker's marks and drops its labels, for the time axis
// of every panel but the bottom one.
type unlabelled struct{ plot.Ticker }

func (u unlabelled) Ticks(lo, hi float64) []plot.Tick {
	t := u.Ticker.Ticks(lo, hi)
	for i := range t {
		t[i].Label = ""
	}
	return t
}

// newPanel returns a plot with the house style: sans text, a light grid, the
// time axis over [xmin, xmax].
func newPanel(ylabel string, yticks plot.Ticker, ta TimeAxis, xmin, xmax float64) *plot.Plot {
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = textStyle(10, color.Black).Font
		a.Tick.Label.Font = textStyle(9, color.Black).Font
		a.Padding = 2
	}
	p.X.Label.Text = ta.Label()
	p.X.Tick.Marker = ta
	p.X.Min, p.X.Max = xmin, xmax
	p.Y.Label.Text = ylabel
	p.Y.Tick.Marker = yticks
	return p
}

// grid is plotter.Grid's job, drawn in a light tone under the data.
type grid struct{}

func (grid) Plot(c draw.Canvas, plt *plot.Plot) {
	ls := draw.LineStyle{Color: color.NRGBA{0, 0, 0, 28}, Width: 0.5}
	trX, trY := plt.Transforms(&c)
	for _, t := range plt.Y.Tick.Marker.Ticks(plt.Y.Min, plt.Y.Max) {
		if t.Label == "" {
			continue
		}
		y := trY(t.Value)
		if y >= c.Min.Y && y <= c.Max.Y {
			c.StrokeLine2(ls, c.Min.X, y, c.Max.X, y)
		}
	}
	xm := plt.X.Tick.Marker
	if u, ok := xm.(unlabelled); ok {
		xm = u.Ticker
	}
	for _, t := range xm.Ticks(plt.X.Min, plt.X.Max) {
		if t.Label == "" {
			continue
		}
		x := trX(t.Value)
		if x >= c.Min.X && x <= c.Max.X {
			c.StrokeLine2(ls, x, c.Min.Y, x, c.Max.Y)
		}
	}
}

// writeFigureFiles is a helper for callers that want a figure on disk only.
func writeFigureFiles(dir string, figs []*Figure) (map[string][]byte, error) {
	out := make(map[string][]byte, len(figs))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	for _, f := range figs {
		svg, err := f.save(dir)
		if err != nil {
			return nil, err
		}
		out[f.Name] = svg
	}
	return out, nil
}
