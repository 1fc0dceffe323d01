package report

import (
	"bytes"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/rundir/rundirtest"
	"github.com/memstorm/memstorm/units"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// loadSynthetic writes and loads a synthetic run.
func loadSynthetic(t testing.TB, n int, dur float64) *Run {
	t.Helper()
	dir := t.TempDir()
	rundirtest.WriteSynthetic(t, dir, n, dur)
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// record draws f on a recorder and returns the text drawn and the strokes
// drawn in each colour.
func record(f *Figure) (texts map[string][]vg.Point, strokes map[color.NRGBA][]vg.Path) {
	rc := &recorder.Canvas{}
	f.Draw(draw.NewCanvas(rc, f.Width, f.Height))
	texts = map[string][]vg.Point{}
	strokes = map[color.NRGBA][]vg.Path{}
	var cur color.NRGBA
	for _, a := range rc.Actions {
		switch a := a.(type) {
		case *recorder.SetColor:
			if a.Color != nil {
				cur = color.NRGBAModel.Convert(a.Color).(color.NRGBA)
			}
		case *recorder.FillString:
			texts[a.String] = append(texts[a.String], a.Point)
		case *recorder.Stroke:
			strokes[cur] = append(strokes[cur], a.Path)
		}
	}
	return texts, strokes
}

func TestMemoryFigureStructure(t *testing.T) {
	r := loadSynthetic(t, 2000, 30)
	f := r.MemoryFigure()
	texts, strokes := record(f)
	for _, want := range []string{"RSS", "live (requested)", "heap held (allocator's count, at each refresh)", "anon (RssAnon)", "cgroup usage",
		"held but not live (anon − live)", "cgroup hard limit 320 MiB", "cgroup soft limit 288 MiB", "fill", "punch-holes",
		"trim", "free-all", "ENOMEM", "allocation failed (ENOMEM)", "trim (allocator asked to give memory back)",
		"memory", "time (s)"} {
		if _, ok := texts[want]; !ok {
			t.Errorf("no text %q in the memory figure", want)
		}
	}
	p := f.Panels[0]
	maxRSS, peak := 0.0, int64(0)
	for _, s := range r.Samples {
		maxRSS = max(maxRSS, float64(s.RSS), float64(s.CgroupUsage))
		peak = max(peak, s.RSS)
	}
	if _, ok := texts["peak RSS "+units.FormatBytes(peak)]; !ok {
		t.Errorf("no peak label %q", "peak RSS "+units.FormatBytes(peak))
	}
	if p.Y.Min > 0 || p.Y.Max < maxRSS || p.Y.Max < 320<<20 || p.X.Min > 0 || p.X.Max < r.Samples[len(r.Samples)-1].T {
		t.Errorf("axes x [%g, %g] y [%g, %g] do not cover the data (max %g, limit %d)", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max, maxRSS, 320<<20)
	}
	trX, _ := p.Transforms(&f.dataAreas[0])
	// Phase labels sit at the middle of their bands.
	for _, ph := range r.Phases() {
		pts := texts[ph.Name]
		want := trX((ph.Start + ph.End) / 2)
		found := false
		for _, pt := range pts {
			if math.Abs(float64(pt.X-want)) < 40 { // text is drawn from its left edge, centred by offset
				found = true
			}
		}
		if !found {
			t.Errorf("phase label %q at %v, want near x=%v", ph.Name, pts, want)
		}
	}
	// rundir.Event markers: a vertical stroke in the event's colour at its time.
	for _, e := range r.Events {
		col, ok := eventKinds[e.Kind]
		if !ok {
			continue
		}
		want := trX(e.T)
		found := false
		for _, path := range strokes[col.color] {
			if len(path) >= 2 && path[0].Pos.X == path[len(path)-1].Pos.X && math.Abs(float64(path[0].Pos.X-want)) < 0.5 {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s marker at x=%v", e.Kind, want)
		}
	}
	// The legend sits below the data area, never on it.
	for _, label := range []string{"RSS", "heap held"} {
		for _, pt := range texts[label] {
			if f.dataAreas[0].Contains(pt) {
				t.Errorf("legend label %q drawn inside the data area at %v", label, pt)
			}
		}
	}
}

func TestFigureSVGHasLabels(t *testing.T) {
	r := loadSynthetic(t, 2000, 7200)
	for _, f := range r.Figures() {
		var buf bytes.Buffer
		if err := f.WriteSVG(&buf); err != nil {
			t.Fatal(err)
		}
		svg := buf.String()
		want := map[string][]string{
			"memory":        {">RSS<", ">live (requested)<", ">fill<", ">ENOMEM<", ">time (min)<", " MiB<"},
			"fragmentation": {">RSS / live requested<", ">heap held / heap in-use<", "x<", ">punch-holes<"},
			"activity":      {">allocated/s<", ">freed/s<", ">minor faults/s<", ">memory PSI some avg10 (%) of the run", "iB/s<"},
		}[f.Name]
		for _, w := range want {
			if !strings.Contains(svg, w) {
				t.Errorf("%s.svg lacks %q", f.Name, w)
			}
		}
		if f.Name == "activity" && len(f.Panels) != 3 {
			t.Errorf("activity has %d panels, want 3 (rates, faults, PSI)", len(f.Panels))
		}
	}
}

func TestFragmentationGapWhereNothingLive(t *testing.T) {
	r := loadSynthetic(t, 2000, 30)
	f := r.FragmentationFigure()
	_, strokes := record(f)
	trX, _ := f.Panels[0].Transforms(&f.dataAreas[0])
	// Before fill starts (t < 0.6 s) live is 0: no RSS/live line there.
	edge := trX(0.02 * 30)
	for _, path := range strokes[seriesStyle[MetricFragRSS].Color.(color.NRGBA)] {
		for _, c := range path {
			if c.Type != vg.CloseComp && c.Pos.X < edge-1 {
				t.Fatalf("RSS/live drawn at x=%v, before live bytes exist (x < %v)", c.Pos.X, edge)
			}
		}
	}
}

// TestFiguresShortAndLongRuns draws a 2-second and a 2-hour run: the time
// axis switches unit, every phase of the short run, however brief, is still
// shaded, and the long run's lines stay bounded by the envelope (a few
// points per column, not one per sample).
func TestFiguresShortAndLongRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		dur  float64
		unit string
	}{
		{"2 s", 100, 2, "time (s)"},
		{"2 h", 200000, 7200, "time (min)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := loadSynthetic(t, tc.n, tc.dur)
			// A 10 ms phase between two long ones.
			r.Summary.Phases = append(r.Summary.Phases, rundir.PhaseSummary{Name: "blip", StartS: 0.7 * tc.dur, EndS: 0.7*tc.dur + 0.01})
			f := r.MemoryFigure()
			texts, strokes := record(f)
			if _, ok := texts[tc.unit]; !ok {
				t.Errorf("no axis label %q", tc.unit)
			}
			// Every line's points: at most ~2 per point of plot width.
			width := float64(f.dataAreas[0].Max.X - f.dataAreas[0].Min.X)
			for col, paths := range strokes {
				pts := 0
				for _, p := range paths {
					pts += len(p)
				}
				if float64(pts) > 6*width+200 {
					t.Errorf("colour %v: %d stroke points for %.0f pt of width", col, pts, width)
				}
			}
			// The blip is shaded: a fill polygon at least minBand wide at its time.
			rc := &recorder.Canvas{}
			f.Draw(draw.NewCanvas(rc, f.Width, f.Height))
			trX, _ := f.Panels[0].Transforms(&f.dataAreas[0])
			x := trX(0.7*tc.dur + 0.005)
			found := false
			for _, a := range rc.Actions {
				if fl, ok := a.(*recorder.Fill); ok && len(fl.Path) >= 4 {
					x0, x1 := fl.Path[0].Pos.X, fl.Path[1].Pos.X
					if x0 <= x && x <= x1 && x1-x0 >= minBand-0.01 && x1-x0 < 20 {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("no band of at least %v pt for the 10 ms phase at x=%v", minBand, x)
			}
		})
	}
}

// The cgroup's swap is drawn, and its swap event marked, when the run
// swapped; a run that did not swap has no swap line.
func TestMemoryFigureSwap(t *testing.T) {
	r := loadSynthetic(t, 400, 10)
	const label = "cgroup swap (memory beyond the usage)"
	if texts, _ := record(r.MemoryFigure()); texts[label] != nil {
		t.Errorf("a run that did not swap has a %q line", label)
	}
	for i := range r.Samples {
		if r.Samples[i].T > 5 {
			r.Samples[i].CgroupSwap = 8 << 20
		}
	}
	r.Summary.Cgroup.PeakSwapBytes = 8 << 20
	r.Events = append(r.Events, rundir.Event{T: 5, Kind: rundir.EventSwap})
	texts, strokes := record(r.MemoryFigure())
	for _, want := range []string{label, "began to swap", "swap"} {
		if texts[want] == nil {
			t.Errorf("no %q in the figure of a run that swapped", want)
		}
	}
	if len(strokes[seriesStyle[MetricCgroupSwap].Color.(color.NRGBA)]) == 0 {
		t.Error("no stroke in the swap line's colour")
	}
}

// TestMemoryFigurePagesLines: the huge and locked page lines are drawn
// when some sample has such pages, and left out (no line at zero) when
// none has.
func TestMemoryFigurePagesLines(t *testing.T) {
	labels := []string{memoryLabel[MetricAnonHuge], memoryLabel[MetricHugeTLB], memoryLabel[MetricLocked]}
	r := loadSynthetic(t, 2000, 30)
	for i := range r.Samples {
		r.Samples[i].AnonHuge, r.Samples[i].HugeTLB, r.Samples[i].Locked = 0, 0, 0
	}
	texts, _ := record(r.MemoryFigure())
	for _, l := range labels {
		if _, ok := texts[l]; ok {
			t.Errorf("legend has %q for a run without such pages", l)
		}
	}
	for i := range r.Samples {
		r.Samples[i].AnonHuge, r.Samples[i].HugeTLB, r.Samples[i].Locked = 2<<20, 4<<20, int64(i)<<12
	}
	texts, _ = record(r.MemoryFigure())
	for _, l := range labels {
		if _, ok := texts[l]; !ok {
			t.Errorf("legend lacks %q for a run with such pages", l)
		}
	}
}

// The cgroup's page cache and shmem are drawn when they reach a tenth of
// its peak usage (a file or shared memory run), not for the few MiB every
// run has (memstorm's own binary).
func TestMemoryFigureFilePages(t *testing.T) {
	r := loadSynthetic(t, 400, 10)
	labels := []string{"cgroup page cache (memory.stat file, shmem included)", "cgroup shmem (tmpfs, memfd, shm)"}
	var peak int64
	for i := range r.Samples {
		r.Samples[i].CgroupFile, r.Samples[i].CgroupShmem = 1<<20, 0
		peak = max(peak, r.Samples[i].CgroupUsage)
	}
	if peak <= 10<<20 {
		t.Fatalf("the synthetic run's cgroup usage peaks at %d, want over 10 MiB for 1 MiB to be under a tenth", peak)
	}
	texts, _ := record(r.MemoryFigure())
	for _, l := range labels {
		if texts[l] != nil {
			t.Errorf("a run with 1 MiB of page cache against a peak usage of %d has a %q line", peak, l)
		}
	}
	for i := range r.Samples {
		r.Samples[i].CgroupFile = r.Samples[i].CgroupUsage * 9 / 10
		r.Samples[i].CgroupShmem = r.Samples[i].CgroupUsage * 8 / 10
	}
	texts, strokes := record(r.MemoryFigure())
	for _, l := range labels {
		if texts[l] == nil {
			t.Errorf("no %q line in the figure of a run whose usage is page cache and shmem", l)
		}
	}
	for _, m := range []Metric{MetricCgroupFile, MetricCgroupShmem} {
		if len(strokes[seriesStyle[m].Color.(color.NRGBA)]) == 0 {
			t.Errorf("no stroke in the %s line's colour", m.Label())
		}
	}
}
