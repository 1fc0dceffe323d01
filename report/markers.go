package report

import (
	"fmt"
	"image/color"
	"math"

	"github.com/memstorm/memstorm/rundir"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// eventKind is how figures mark one kind of event.
type eventKind struct {
	color  color.NRGBA
	label  string // written along the marker; "" for none (the legend says)
	legend string
}

// eventKinds are the events figures mark. Trims carry no label on the
// marker: they happen in a phase usually named for them, and the legend
// names the line; the events that end or cut a run are written out.
var eventKinds = map[string]eventKind{
	rundir.EventOOMKill: {color.NRGBA{200, 0, 0, 255}, "OOM kill", "OOM kill"},
	rundir.EventENOMEM:  {color.NRGBA{230, 110, 0, 255}, "ENOMEM", "allocation failed (ENOMEM)"},
	rundir.EventLimit:   {color.NRGBA{150, 0, 150, 255}, "stopped at limit", "stopped at the cgroup limit"},
	rundir.EventTrim:    {color.NRGBA{0, 130, 130, 255}, "", "trim (allocator asked to give memory back)"},
	rundir.EventSignal:  {color.NRGBA{90, 90, 90, 255}, "signal", "signal"},
	rundir.EventError:   {color.NRGBA{200, 0, 0, 255}, "error", "harness error"},
	rundir.EventSwap:    {color.NRGBA{120, 60, 200, 255}, "swap", "began to swap"},
}

func markerStyle(k eventKind) draw.LineStyle {
	return draw.LineStyle{Color: k.color, Width: 1, Dashes: []vg.Length{3, 2}}
}

// eventLegend is one legend entry per kind of marked event the run has, in
// the order they first happen.
func eventLegend(events []rundir.Event) []LegendItem {
	seen := map[string]bool{}
	var out []LegendItem
	for _, e := range events {
		k, ok := eventKinds[e.Kind]
		if !ok || seen[e.Kind] {
			continue
		}
		seen[e.Kind] = true
		out = append(out, LegendItem{Label: k.legend, Thumb: hLine{style: markerStyle(k)}})
	}
	return out
}

// eventMarkers draws vertical dashed lines at events, labelled along the
// line where the kind has a label; events of one kind closer than a
// label's height share one label with a count.
type eventMarkers struct {
	events []rundir.Event
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
		k, ok := eventKinds[e.Kind]
		if !ok {
			continue
		}
		x := trX(e.T - m.offset)
		if x < c.Min.X-0.5 || x > c.Max.X+0.5 {
			continue
		}
		x = min(max(x, c.Min.X), c.Max.X)
		c.StrokeLine2(markerStyle(k), x, c.Min.Y, x, c.Max.Y)
		if k.label == "" {
			continue
		}
		if i, ok := lastLabel[e.Kind]; ok && x-labels[i].x < 12 {
			labels[i].n++
			continue
		}
		lastLabel[e.Kind] = len(labels)
		labels = append(labels, label{x: x, kind: e.Kind, n: 1})
	}
	for _, l := range labels {
		k := eventKinds[l.kind]
		sty := textStyle(9, k.color)
		sty.Rotation = math.Pi / 2
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
		txt := k.label
		if l.n > 1 {
			txt = fmt.Sprintf("%s ×%d", k.label, l.n)
		}
		// Along the bottom of the line, on its left: runs end or get cut
		// when memory is high, so the bottom is where the room is.
		h, w := sty.Height(txt), sty.Width(txt)
		bottom := c.Min.Y + 4
		boxStyle(c, vg.Rectangle{Min: vg.Point{X: l.x - 1 - h, Y: bottom - 1}, Max: vg.Point{X: l.x - 1, Y: bottom + w + 1}})
		c.FillText(sty, vg.Point{X: l.x - 1, Y: bottom}, txt)
	}
}
