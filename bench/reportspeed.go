package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
)

// reportSpeed renders the report of a synthetic run of one million samples
// (a sawtooth of fills and frees, 1 ms apart) with report.Render.
func (b *bench) reportSpeed(_ context.Context, r *Result) error {
	n := max(int(1e6*b.cfg.Scale), 1000)
	dir := filepath.Join(b.cfg.Dir, "report-1m")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeSyntheticRun(dir, n); err != nil {
		return err
	}
	t0 := time.Now()
	if err := report.Render(dir); err != nil {
		return fmt.Errorf("rendering %d samples: %w", n, err)
	}
	r.ReportSeconds1M = time.Since(t0).Seconds()
	r.Detail.ReportSamples = n
	return nil
}

// writeSyntheticRun writes summary.json, samples.csv and events.jsonl of a
// run with n samples, in four phases.
func writeSyntheticRun(dir string, n int) error {
	const dt = 0.001
	phases := []string{"fill", "free-half", "refill", "free-all"}
	sum := rundir.Summary{Scenario: "bench-synthetic", Outcome: rundir.OutcomeCompleted, Passed: true,
		Started: time.Now().UTC().Format(time.RFC3339), SampleEveryS: dt, Samples: n, DurationS: float64(n) * dt}
	for i, p := range phases {
		sum.Phases = append(sum.Phases, rundir.PhaseSummary{Name: p,
			StartS: float64(i*n/len(phases)) * dt, EndS: float64((i+1)*n/len(phases)) * dt})
	}
	f, err := os.Create(filepath.Join(dir, rundir.SamplesFile))
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := rundir.NewSampleWriter(f)
	if err != nil {
		return err
	}
	var alloc, freed int64
	for i := 0; i < n; i++ {
		ph := i * len(phases) / n
		x := float64(i%(n/len(phases)+1)) / float64(n/len(phases)+1)
		live := int64(float64(gib) * (0.5 + 0.5*math.Sin(float64(ph)+x*math.Pi)))
		if i > 0 {
			alloc += 4096
			freed += 2048
		}
		s := rundir.AbsentSample(float64(i) * dt)
		s.Phase = phases[ph]
		s.RSS, s.Anon, s.File, s.Shmem, s.Swap = live+live/8, live+live/16, 8<<20, 0, 0
		s.AnonHuge, s.LazyFree, s.MinFlt, s.MajFlt = 0, 0, int64(i)*16, 0
		s.Live, s.LiveObjects, s.AllocBytes, s.FreeBytes = live, live/2048, alloc, freed
		s.HeapInuse, s.HeapHeld = live, live+live/10
		s.CgroupUsage = live + live/8 + 16<<20
		if err := w.Write(&s); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.EventsFile), nil, 0o644); err != nil {
		return err
	}
	return rundir.WriteSummary(filepath.Join(dir, rundir.SummaryFile), &sum)
}
