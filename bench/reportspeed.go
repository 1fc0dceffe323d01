package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
)

// reportSpeed renders the report of a synthetic run of one million samples
// (a sawtooth of fills and frees, 1 ms apart) with report.Render, Reps
// times.
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
	var xs []float64
	for range b.cfg.Reps {
		t0 := time.Now()
		if err := report.Render(dir); err != nil {
			return fmt.Errorf("rendering %d samples: %w", n, err)
		}
		xs = append(xs, time.Since(t0).Seconds())
	}
	r.ReportSeconds1M = median(xs)
	r.spread("report_seconds_1m_samples", xs)
	r.Detail.ReportSamples = n
	return nil
}

// reportAtScale renders a synthetic run of ten million samples (a 3-hour
// soak at 1 kHz) with `memstorm report` as a child process inside a
// cgroup limited to 8 GiB, once: its wall seconds, and its peak RSS
// (ru_maxrss).
func (b *bench) reportAtScale(_ context.Context, r *Result) error {
	if b.cfg.Executable == "" {
		r.skip("report_seconds_10m_samples", "no memstorm executable to start as `memstorm report` (bench run from a test binary)")
		r.skip("report_peak_rss_bytes", "no memstorm executable to start as `memstorm report` (bench run from a test binary)")
		return nil
	}
	n := max(int(1e7*b.cfg.Scale), 10000)
	dir := filepath.Join(b.cfg.Dir, "report-10m")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeSyntheticRun(dir, n); err != nil {
		return err
	}
	p, err := b.lim.start(8*gib, false, b.cfg.Executable, "report", dir)
	if err != nil {
		return err
	}
	t0 := time.Now()
	out, _ := io.ReadAll(p.stdout)
	werr := p.cmd.Wait()
	secs := time.Since(t0).Seconds()
	ru, _ := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	_ = p.group.Delete()
	if werr != nil {
		return fmt.Errorf("memstorm report of %d samples: %w (%s)", n, werr, out)
	}
	r.ReportSeconds10M, r.Detail.ReportSamples10 = secs, n
	if ru != nil {
		r.ReportPeakRSS = float64(ru.Maxrss * 1024)
	}
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
	// A plain io.Writer over the buffer: the sample writer flushes any
	// writer that can, row by row.
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := rundir.NewSampleWriter(struct{ io.Writer }{bw})
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
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.EventsFile), nil, 0o644); err != nil {
		return err
	}
	return rundir.WriteSummary(filepath.Join(dir, rundir.SummaryFile), &sum)
}
