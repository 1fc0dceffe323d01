package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Matrix is the scenario x allocator table of a comparison whose runs span
// several scenarios and several allocators (memstorm run --allocator all
// S1 S2 ...): one row per scenario, one cell per allocator, in the order the
// runs came.
type Matrix struct {
	Scenarios  []string `json:"scenarios"`
	Allocators []string `json:"allocators"`
	// Cells[i][j] is scenario i under allocator j; null where that pair
	// did not run.
	Cells [][]*MatrixCell `json:"cells"`
}

// MatrixCell is one run's headline figures in a Matrix.
type MatrixCell struct {
	Dir          string         `json:"dir"`
	Outcome      rundir.Outcome `json:"outcome"`
	PeakRSSBytes int64          `json:"peak_rss_bytes"`
	LastPhase    string         `json:"last_phase"` // the phase whose end the Last figures are from
	LastRSSBytes int64          `json:"last_rss_bytes"`
	LastAnon     int64          `json:"last_anon_bytes"`
	LastLive     int64          `json:"last_live_bytes"`
	// RSS / live and anon / live at the last phase's end; null when
	// nothing is live.
	FragRSS  *float64 `json:"frag_rss"`
	FragAnon *float64 `json:"frag_anon"`
	// TrimPhase is the last phase that asked the allocator to return
	// memory ("" when none did); TrimShare is the share of the anonymous
	// RSS at its start that it returned.
	TrimPhase string   `json:"trim_phase,omitempty"`
	TrimShare *float64 `json:"trim_share,omitempty"`
}

// buildMatrix returns the matrix of runs, or nil when they do not span at
// least two scenarios and two allocators.
func buildMatrix(runs []*Run, peaks []int64) *Matrix {
	m := &Matrix{}
	for _, r := range runs {
		if !slices.Contains(m.Scenarios, r.Summary.Scenario) {
			m.Scenarios = append(m.Scenarios, r.Summary.Scenario)
		}
		if a := r.Summary.Allocator.Name; !slices.Contains(m.Allocators, a) {
			m.Allocators = append(m.Allocators, a)
		}
	}
	if len(m.Scenarios) < 2 || len(m.Allocators) < 2 {
		return nil
	}
	m.Cells = make([][]*MatrixCell, len(m.Scenarios))
	for i := range m.Cells {
		m.Cells[i] = make([]*MatrixCell, len(m.Allocators))
	}
	for k, r := range runs {
		i := slices.Index(m.Scenarios, r.Summary.Scenario)
		j := slices.Index(m.Allocators, r.Summary.Allocator.Name)
		if m.Cells[i][j] == nil { // a repeated pair: the first run counts
			m.Cells[i][j] = matrixCell(r, peaks[k])
		}
	}
	return m
}

func matrixCell(r *Run, peak int64) *MatrixCell {
	c := &MatrixCell{Dir: r.Dir, Outcome: r.Summary.Outcome, PeakRSSBytes: peak}
	ends := r.PhaseEnds()
	if len(ends) == 0 {
		return c
	}
	last := ends[len(ends)-1]
	c.LastPhase, c.LastRSSBytes, c.LastAnon, c.LastLive = last.Name, last.RSSBytes, last.AnonBytes, last.LiveBytes
	if last.LiveBytes > 0 {
		c.FragRSS = finite(Frag(last.RSSBytes, last.LiveBytes))
		c.FragAnon = finite(Frag(last.AnonBytes, last.LiveBytes))
	}
	for _, e := range r.Events {
		if e.Kind == rundir.EventTrim && e.Phase != "" {
			c.TrimPhase = e.Phase
		}
	}
	for i, p := range ends {
		if p.Name != c.TrimPhase || c.TrimPhase == "" || i == 0 {
			continue
		}
		before := ends[i-1].AnonBytes
		if before > 0 {
			s := float64(before-p.AnonBytes) / float64(before)
			c.TrimShare = &s
		}
	}
	return c
}

// WriteMarkdown writes the matrix as Markdown tables, one per figure (peak
// RSS, RSS at the end, RSS/live and anon/live at the end, share returned by
// trim), for documents that quote a measured matrix.
func (m *Matrix) WriteMarkdown(w io.Writer) error {
	tables := []struct {
		title string
		cell  func(c *MatrixCell) string
	}{
		{"peak RSS", func(c *MatrixCell) string { return units.FormatBytes(c.PeakRSSBytes) }},
		{"RSS at the end of the last phase", func(c *MatrixCell) string { return units.FormatBytes(c.LastRSSBytes) }},
		{"RSS / live at the end", func(c *MatrixCell) string { return ratioCell(c.FragRSS) }},
		{"anon / live at the end", func(c *MatrixCell) string { return ratioCell(c.FragAnon) }},
		{"share of anon returned by trim", func(c *MatrixCell) string {
			if c.TrimShare == nil {
				return "–"
			}
			return fmt.Sprintf("%.0f%%", math.Max(100**c.TrimShare, 0)+0) // a rounding -0 reads 0
		}},
	}
	for k, tb := range tables {
		if k > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s:\n\n| scenario |", tb.title)
		for _, a := range m.Allocators {
			fmt.Fprintf(w, " %s |", markdownText(a))
		}
		fmt.Fprint(w, "\n|---|")
		for range m.Allocators {
			fmt.Fprint(w, "---|")
		}
		fmt.Fprintln(w)
		for i, s := range m.Scenarios {
			fmt.Fprintf(w, "| %s |", markdownText(s))
			for _, c := range m.Cells[i] {
				v := "–"
				if c != nil {
					v = tb.cell(c)
				}
				fmt.Fprintf(w, " %s |", v)
			}
			if _, err := fmt.Fprintln(w); err != nil {
				return fmt.Errorf("writing the matrix: %w", err)
			}
		}
	}
	return nil
}

// markdownText makes a name from a summary.json (which anyone can edit)
// plain text inside a Markdown table cell, as html/template does for
// compare.html: every character Markdown gives a meaning there (table
// pipes, code spans, emphasis, links, HTML tags and entities, the escape
// itself) is backslash-escaped, which CommonMark and GitHub read as the
// literal character, and a line break or other control character, which
// would end the table row, becomes a space.
func markdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\`*_[]<>|&!#~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func ratioCell(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", *v)
}

// matrixFigure draws anon / live at the last phase end as grouped bars:
// one group per scenario, one bar per allocator.
func matrixFigure(m *Matrix) *Figure {
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = textStyle(10, color.Black).Font
		a.Tick.Label.Font = textStyle(9, color.Black).Font
		a.Padding = 2
	}
	// Ratios here run from 1 to thousands (a pinned top chunk): bars of
	// log10(ratio), on an axis labelled in ratios.
	p.Y.Label.Text = "anon / live at the last phase end (log)"
	p.Y.Tick.Marker = decadeTicks{}
	f := &Figure{Name: "compare-matrix-fragmentation", Title: "fragmentation per scenario and allocator",
		Width: FigureWidth, Height: 4 * vg.Inch, Panels: []*plot.Plot{p}}
	n := len(m.Allocators)
	w := vg.Length(min(60.0/float64(n), 14)) * vg.Millimeter / 4
	ymax := 1.0 // log10 of the largest ratio, at least one decade
	for j, a := range m.Allocators {
		vals := make(plotter.Values, len(m.Scenarios))
		for i := range m.Scenarios {
			if c := m.Cells[i][j]; c != nil && c.FragAnon != nil && *c.FragAnon > 1 {
				vals[i] = math.Log10(*c.FragAnon)
				ymax = max(ymax, vals[i])
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			continue // a value that is not finite: the cell has no bar
		}
		b.Color = paletteColor(j)
		b.LineStyle = draw.LineStyle{Width: 0}
		b.Offset = (vg.Length(j) - vg.Length(n-1)/2) * w
		p.Add(b)
		f.Legend = append(f.Legend, LegendItem{Label: a, Thumb: b})
	}
	p.NominalX(m.Scenarios...)
	p.Y.Min, p.Y.Max = 0, math.Ceil(ymax)
	return f
}

// decadeTicks labels a log10 axis in ratios: 1x, 10x, 100x, ...
type decadeTicks struct{}

// Ticks returns a labelled tick per decade and unlabelled ones at 2x..9x.
func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for d := math.Floor(lo); d <= hi; d++ {
		ts = append(ts, plot.Tick{Value: d, Label: units.FormatTimes(math.Pow(10, d))})
		for k := 2.0; k < 10; k++ {
			if v := d + math.Log10(k); v <= hi {
				ts = append(ts, plot.Tick{Value: v})
			}
		}
	}
	return ts
}
