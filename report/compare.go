package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/memstorm/memstorm/rundir"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

//go:embed compare.html.tmpl
var compareTemplate string

// compareTmpl is parsed on first use, not at start-up: every memstorm command
// would pay for it, and a SIGTERM in that time found no handler.
var compareTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("compare").Funcs(funcs).Parse(compareTemplate))
})

// ErrNoAlignPhase is wrapped by Compare's error when a run lacks the phase
// it was asked to align at: bad usage, not a failure.
var ErrNoAlignPhase = errors.New("no such phase")

// Comparison is compare.json: the headline figures of several runs, each
// with its ratio to the first run (null where either side is undefined).
type Comparison struct {
	Align  string        `json:"align,omitempty"` // phase the runs are aligned at; "" for their starts
	Phases []string      `json:"phases"`          // phases of the first run, the columns of PhaseRSS
	Runs   []ComparedRun `json:"runs"`
	// Matrix is the scenario x allocator table, present when the runs
	// span several scenarios and several allocators.
	Matrix *Matrix `json:"matrix,omitempty"`
}

// ComparedRun is one run of a Comparison.
type ComparedRun struct {
	Label         string         `json:"label"`
	Dir           string         `json:"dir"`
	Outcome       rundir.Outcome `json:"outcome"`
	PeakRSSBytes  int64          `json:"peak_rss_bytes"`
	PeakRSSRatio  *float64       `json:"peak_rss_ratio"`
	PhaseRSS      []PhaseRSS     `json:"phase_rss"`
	LastFrag      *float64       `json:"last_frag"` // RSS / live at the last phase end
	LastFragRatio *float64       `json:"last_frag_ratio"`
}

// PhaseRSS is a run's RSS at the end of one phase (-1: the run has no
// phase of that name).
type PhaseRSS struct {
	Phase    string   `json:"phase"`
	RSSBytes int64    `json:"rss_bytes"`
	Ratio    *float64 `json:"ratio"`
}

// MatrixFile is the Markdown form of a comparison's Matrix, written beside
// compare.json when there is one.
const MatrixFile = "matrix.md"

// Compare loads the runs in runDirs and writes into outDir one figure per
// metric (RSS, live, heap held, cgroup usage where recorded, RSS / live)
// with one line per run, compare.html and compare.json. When the runs span
// several scenarios and allocators it adds the scenario x allocator Matrix
// (in compare.json, a table and a bar figure in compare.html, matrix.md). Runs are aligned at
// their start, or, when align names a phase, at that phase's start (every
// run must have it).
//
// A run directory that cannot be read is an error wrapping its
// *rundir.InputError; Compare writes nothing then.
func Compare(outDir string, runDirs []string, align string) error {
	runs := make([]*Run, len(runDirs))
	for i, d := range runDirs {
		r, err := Load(d)
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		runs[i] = r
	}
	return CompareRuns(outDir, runs, align)
}

// CompareRuns is Compare of runs already loaded (Load).
func CompareRuns(outDir string, runs []*Run, align string) error {
	if len(runs) == 0 {
		return fmt.Errorf("compare: no run directories")
	}
	labels := compareLabels(runs)
	offsets := make([]float64, len(runs))
	if align != "" {
		for i, r := range runs {
			off, ok := phaseStart(r, align)
			if !ok {
				return fmt.Errorf("compare: run %s has no phase %q to align at: %w", r.Dir, align, ErrNoAlignPhase)
			}
			offsets[i] = off
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("compare: creating %s: %w", outDir, err)
	}
	figs := compareFigures(runs, labels, offsets, align)
	cmp := compareTable(runs, labels, align)
	peaks := make([]int64, len(cmp.Runs))
	for i := range cmp.Runs {
		peaks[i] = cmp.Runs[i].PeakRSSBytes
	}
	if cmp.Matrix = buildMatrix(runs, peaks); cmp.Matrix != nil {
		figs = append(figs, matrixFigure(cmp.Matrix))
		var md bytes.Buffer
		if err := cmp.Matrix.WriteMarkdown(&md); err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		if err := rundir.WriteFileAtomic(filepath.Join(outDir, MatrixFile), md.Bytes()); err != nil {
			return err
		}
	}
	svgs, err := writeFigureFiles(outDir, figs)
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	js, err := json.MarshalIndent(cmp, "", "  ")
	if err != nil {
		return fmt.Errorf("compare: encoding compare.json: %w", err)
	}
	if err := rundir.WriteFileAtomic(filepath.Join(outDir, "compare.json"), append(js, '\n')); err != nil {
		return err
	}
	page := struct {
		C       *Comparison
		Figures []namedSVG
	}{C: cmp}
	for _, f := range figs {
		page.Figures = append(page.Figures, namedSVG{Name: f.Name, SVG: InlineSVG(svgs[f.Name])})
	}
	var buf bytes.Buffer
	if err := compareTmpl().Execute(&buf, page); err != nil {
		return fmt.Errorf("compare: rendering compare.html: %w", err)
	}
	return rundir.WriteFileAtomic(filepath.Join(outDir, "compare.html"), buf.Bytes())
}

// compareLabels names runs "<scenario> / <allocator>", adding the
// directory's name where two runs would otherwise read the same.
func compareLabels(runs []*Run) []string {
	count := map[string]int{}
	for _, r := range runs {
		count[r.Label()]++
	}
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.Label()
		if count[out[i]] > 1 {
			out[i] += " (" + filepath.Base(filepath.Clean(r.Dir)) + ")"
		}
	}
	return out
}

// phaseStart is when the first run of the phase named name (or its first
// repetition, "name#1") started.
func phaseStart(r *Run, name string) (float64, bool) {
	for _, p := range r.Phases() {
		if rundir.IsRunOf(p.Name, name) {
			return p.Start, true
		}
	}
	return 0, false
}

// compareMetrics are the metrics compared, with their figure names.
var compareMetrics = []struct {
	name  string
	m     Metric
	title string
}{
	{"compare-rss", MetricRSS, "RSS"},
	{"compare-live", MetricLive, "live requested bytes"},
	{"compare-heap-held", MetricHeapHeld, "heap held by the allocator"},
	{"compare-cgroup-usage", MetricCgroupUsage, "cgroup memory usage"},
	{"compare-fragmentation", MetricFragRSS, "fragmentation: RSS / live"},
}

func compareFigures(runs []*Run, labels []string, offsets []float64, align string) []*Figure {
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for i, r := range runs {
		lo, hi := r.timeSpan()
		xmin, xmax = min(xmin, lo-offsets[i]), max(xmax, hi-offsets[i])
	}
	ta := TimeAxisFor(xmax - xmin)
	var figs []*Figure
	for _, cm := range compareMetrics {
		frag := cm.m == MetricFragRSS
		var ticks plot.Ticker = ByteTicks{}
		if frag {
			ticks = RatioTicks{}
		}
		p := newPanel(cm.title, ticks, ta, xmin, xmax)
		if frag {
			p.Y.Label.Text = "ratio"
		} else {
			p.Y.Label.Text = "memory"
		}
		if align != "" {
			p.X.Label.Text = fmt.Sprintf("time since the start of '%s' (%s)", align, ta.Unit)
		}
		p.Add(grid{})
		f := &Figure{Name: cm.name, Title: "compared: " + cm.title, Width: FigureWidth, Height: 4 * vg.Inch, Panels: []*plot.Plot{p}}
		ymax := 0.0
		for i, r := range runs {
			s := Series{Samples: r.Samples, Metric: cm.m, Offset: offsets[i]}
			if !s.HasData() {
				continue
			}
			style := draw.LineStyle{Color: paletteColor(i), Width: 1.4}
			if i >= len(palette) {
				style.Dashes = []vg.Length{5, 2}
			}
			var l *envLine
			if frag {
				l = newEnvLine(positive{s}, style, false)
				peak := int64(0)
				for j := range r.Samples {
					peak = max(peak, r.Samples[j].Live)
				}
				if _, _, _, hi, ok := dataRange(liveFloor{s, int64(fragFloor * float64(peak))}); ok {
					ymax = max(ymax, hi)
				}
			} else {
				l = newEnvLine(s, style, false)
				ymax = max(ymax, l.ymax)
			}
			p.Add(l)
			f.Legend = append(f.Legend, LegendItem{Label: labels[i], Thumb: l})
		}
		if len(f.Legend) == 0 {
			continue // no run recorded this metric (cgroup usage without a cgroup)
		}
		p.Y.Min, p.Y.Max = 0, headroom(ymax)
		figs = append(figs, f)
	}
	return figs
}

func ratioTo(v, base float64) *float64 {
	r := v / base
	if math.IsNaN(r) || math.IsInf(r, 0) || base <= 0 || v < 0 {
		return nil
	}
	return &r
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func compareTable(runs []*Run, labels []string, align string) *Comparison {
	c := &Comparison{Align: align}
	for _, p := range runs[0].PhaseEnds() {
		c.Phases = append(c.Phases, p.Name)
	}
	for i, r := range runs {
		peak := r.Summary.PeakRSSBytes
		for j := range r.Samples {
			peak = max(peak, r.Samples[j].RSS)
		}
		cr := ComparedRun{Label: labels[i], Dir: r.Dir, Outcome: r.Summary.Outcome, PeakRSSBytes: peak}
		ends := r.PhaseEnds()
		byName := map[string]rundir.PhaseSummary{}
		for _, p := range ends {
			byName[p.Name] = p
		}
		for _, name := range c.Phases {
			pr := PhaseRSS{Phase: name, RSSBytes: -1}
			if p, ok := byName[name]; ok {
				pr.RSSBytes = p.RSSBytes
			}
			cr.PhaseRSS = append(cr.PhaseRSS, pr)
		}
		if n := len(ends); n > 0 {
			cr.LastFrag = finite(Frag(ends[n-1].RSSBytes, ends[n-1].LiveBytes))
		}
		c.Runs = append(c.Runs, cr)
	}
	base := &c.Runs[0]
	for i := range c.Runs {
		cr := &c.Runs[i]
		cr.PeakRSSRatio = ratioTo(float64(cr.PeakRSSBytes), float64(base.PeakRSSBytes))
		for j := range cr.PhaseRSS {
			cr.PhaseRSS[j].Ratio = ratioTo(float64(cr.PhaseRSS[j].RSSBytes), float64(base.PhaseRSS[j].RSSBytes))
		}
		if cr.LastFrag != nil && base.LastFrag != nil {
			cr.LastFragRatio = ratioTo(*cr.LastFrag, *base.LastFrag)
		}
	}
	return c
}
