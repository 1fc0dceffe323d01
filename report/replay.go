package report

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/trace"
	"github.com/memstorm/memstorm/units"
)

// ReplayRow is one line of a replay's fidelity table: the recorded program,
// or one replay of its trace. RSS figures are anonymous resident memory
// above a baseline, at the recorded program's RSS samples: for the
// program, its samples above the last one before its first allocation (the
// interpreter or runtime, not its heap); for a one-thread replay, its own
// readings at the same points of the operation stream above the reading at
// that same baseline point. A replay on several threads has no such points:
// its row is from the run's samples, above the phase's first.
type ReplayRow struct {
	Label    string
	PeakLive int64 // requested bytes; -1 when not known
	Baseline int64
	PeakRSS  int64
	EndRSS   int64 // at the last recorded sample (the run's samples: the phase's last)
	Curve    plotter.XYs
	// Sampled says the RSS figures are from the run's samples, not from
	// the recorded program's points of the stream.
	Sampled bool
}

// RecordedReplayRow reads the trace at path: the recorded program's row.
// A trace without RSS samples (imported) is an error.
func RecordedReplayRow(path string) (ReplayRow, error) {
	row := ReplayRow{Label: "recorded program"}
	f, err := os.Open(path)
	if err != nil {
		return row, err
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		return row, fmt.Errorf("%s: %w", path, err)
	}
	type pt struct {
		t   int64
		rss int64
	}
	var pts []pt
	firstAlloc := int64(-1)
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return row, fmt.Errorf("%s: %w", path, err)
		}
		switch {
		case e.Op == trace.OpRSS:
			pts = append(pts, pt{e.Time, int64(e.Size)})
		case e.Op.Allocates() && firstAlloc < 0:
			firstAlloc = e.Time
		}
	}
	if len(pts) == 0 {
		return row, fmt.Errorf("%s has no RSS samples (memstorm record takes them; an imported trace has none)", path)
	}
	// The baseline rule is alloc.Replay's: the last sample before the first
	// allocation, else the first.
	row.Baseline = pts[0].rss
	for _, p := range pts {
		if p.t <= firstAlloc && p.t >= 0 {
			row.Baseline = p.rss
		}
	}
	row.PeakLive = int64(r.Summary().PeakLive)
	for _, p := range pts {
		h := p.rss - row.Baseline
		row.PeakRSS = max(row.PeakRSS, h)
		row.Curve = append(row.Curve, plotter.XY{X: float64(p.t-max(firstAlloc, 0)) / 1e9, Y: float64(h)})
	}
	row.EndRSS = pts[len(pts)-1].rss - row.Baseline
	return row, nil
}

// ReplayRunRow reads the replay phase named phase of a run: the replay
// event's figures at the recorded points when it has them, else the
// phase's samples.
func ReplayRunRow(r *Run, phase, label string) (ReplayRow, error) {
	row := ReplayRow{Label: label, PeakLive: -1, Sampled: true}
	var in []rundir.Sample
	for _, s := range r.Samples {
		if s.Phase == phase {
			in = append(in, s)
		}
	}
	if len(in) == 0 {
		return row, fmt.Errorf("%s: no samples in phase %q", r.Dir, phase)
	}
	row.Baseline = in[0].Anon
	t0 := in[0].T
	for _, s := range in {
		h := s.Anon - row.Baseline
		row.PeakRSS = max(row.PeakRSS, h)
		row.Curve = append(row.Curve, plotter.XY{X: s.T - t0, Y: float64(h)})
	}
	row.EndRSS = in[len(in)-1].Anon - row.Baseline
	for _, e := range r.Events {
		if e.Kind != rundir.EventReplay || e.Phase != phase {
			continue
		}
		if e.Bytes != nil {
			row.PeakLive = *e.Bytes
		}
		if f := e.Replay; f != nil && f.RSSSamples > 0 {
			row.Baseline, row.PeakRSS, row.EndRSS, row.Sampled = f.Baseline, f.PeakRSS, f.EndRSS, false
		}
	}
	return row, nil
}

// WriteReplayTable prints the rows, each replay's figures as a share of
// the recorded program's (the first row).
func WriteReplayTable(w io.Writer, rows []ReplayRow) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tpeak live\tpeak RSS\tvs recorded\tRSS at end\tvs recorded\tbaseline\t\n")
	for i, r := range rows {
		live := "absent"
		if r.PeakLive >= 0 {
			live = units.FormatBytes(r.PeakLive)
		}
		vsPeak, vsAfter := "", ""
		if i > 0 {
			vsPeak = share(r.PeakRSS, rows[0].PeakRSS)
			vsAfter = share(r.EndRSS, rows[0].EndRSS)
		}
		label := r.Label
		if r.Sampled {
			label += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label, live, units.FormatBytes(r.PeakRSS), vsPeak,
			units.FormatBytes(r.EndRSS), vsAfter, units.FormatBytes(r.Baseline))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows[1:] {
		if r.Sampled {
			_, err := fmt.Fprintln(w, "  * from the run's samples (a replay on several threads, one that did not finish, or a trace without RSS samples): above the phase's first sample, at its last")
			return err
		}
	}
	return nil
}

func share(v, of int64) string {
	if of <= 0 {
		return units.Undefined
	}
	return fmt.Sprintf("%+.1f%%", (float64(v)/float64(of)-1)*100)
}

// ReplayFigure draws every row's heap RSS over its own time: the recorded
// program's curve beside its replays.
func ReplayFigure(rows []ReplayRow) *Figure {
	xmax := 0.0
	for _, r := range rows {
		if n := len(r.Curve); n > 0 {
			xmax = max(xmax, r.Curve[n-1].X)
		}
	}
	p := newPanel("anonymous RSS above the baseline", ByteTicks{}, TimeAxisFor(xmax), 0, xmax)
	p.Add(grid{})
	f := &Figure{Name: "replay", Title: "replay: the recorded program's RSS beside its replays", Width: FigureWidth, Height: 4 * vg.Inch, Panels: []*plot.Plot{p}}
	for i, r := range rows {
		style := draw.LineStyle{Color: paletteColor(i), Width: vg.Points(1.5)}
		if i == 0 {
			style = draw.LineStyle{Color: color.Black, Width: vg.Points(2.5)}
		}
		l, err := plotter.NewLine(r.Curve)
		if err != nil {
			continue
		}
		l.LineStyle = style
		p.Add(l)
		f.Legend = append(f.Legend, LegendItem{Label: r.Label, Thumb: l})
	}
	return f
}

// WriteReplayFigure writes ReplayFigure(rows) as replay.png in dir.
func WriteReplayFigure(dir string, rows []ReplayRow) (string, error) {
	path := filepath.Join(dir, "replay.png")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := ReplayFigure(rows).WritePNG(f); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
