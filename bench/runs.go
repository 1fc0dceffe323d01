package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
)

const gib = int64(1) << 30

// runScenario runs a scenario given as YAML inside a child cgroup limited to
// limit bytes, in a fresh run directory that is removed afterwards.
func (b *bench) runScenario(ctx context.Context, name, yaml string, limit int64, progress func(stress.Progress)) (*rundir.Summary, []rundir.Sample, error) {
	sc, err := scenarios.Parse(name+".yaml", []byte(yaml))
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the bench scenario %s: %w", name, err)
	}
	b.seqRun++
	dir := filepath.Join(b.cfg.Dir, fmt.Sprintf("run-%s-%d", name, b.seqRun))
	defer os.RemoveAll(dir)
	opt := stress.Options{Dir: dir, Cgroup: stress.CgroupChild, Limit: &scenarios.Limit{Max: scenarios.Size(limit)}, Progress: progress}
	plan, err := stress.Prepare(sc, opt)
	if err != nil {
		return nil, nil, err
	}
	sum, err := plan.Run(ctx)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(filepath.Join(dir, rundir.SamplesFile))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	smps, err := rundir.ReadSamples(f)
	return sum, smps, err
}

func phaseSeconds(sum *rundir.Summary, name string) (float64, error) {
	for _, p := range sum.Phases {
		if p.Name == name && p.EndS > p.StartS {
			return p.EndS - p.StartS, nil
		}
	}
	return 0, fmt.Errorf("run %s (%s: %s) has no completed phase %q", sum.Scenario, sum.Outcome, sum.Reason, name)
}

// fillYAML allocates bytes via via with sizes size, touched, then ends.
func fillYAML(name, via, size string, bytes int64) string {
	return fmt.Sprintf(`name: %s
sample_every: 20ms
phases:
  - name: fill
    allocate:
      via: %s
      size: %s
      touch: true
      until: {bytes: %d}
`, name, via, size, bytes)
}

// fill: C seconds / memstorm seconds to allocate and touch 1 GiB in 64 B to
// 4 KiB chunks; memstorm's seconds are its fill phase in a full run.
func (b *bench) fill(ctx context.Context, r *Result) error {
	n := b.bytes(gib)
	ratio, cs, ms, err := b.fillRatio(ctx, n, "bench-fill", "malloc", "{dist: uniform, min: 64, max: 4KiB}",
		"fill", "1", strconv.FormatInt(n, 10), "64", "4096")
	r.FillVsC, r.Detail.FillBytes = ratio, n
	r.Detail.CFillGBps, r.Detail.FillGBps = float64(n)/cs/1e9, float64(n)/ms/1e9
	return err
}

// mmapFill: mmap(MAP_POPULATE) seconds / memstorm's seconds to fill 1 GiB
// through its mmap backend (1 MiB mappings, touched).
func (b *bench) mmapFill(ctx context.Context, r *Result) error {
	n := b.bytes(gib)
	ratio, cs, ms, err := b.fillRatio(ctx, n, "bench-mmap", "mmap", "{dist: fixed, value: 1MiB}",
		"populate", strconv.FormatInt(n, 10))
	r.MmapFillVsPopulate = ratio
	r.Detail.PopulateGBps, r.Detail.MmapFillGBps = float64(n)/cs/1e9, float64(n)/ms/1e9
	return err
}

// fillRatio times, side by side, the C reference program run with crefArgs
// and memstorm's fill of n bytes via the backend, both in cgroups limited to
// 1.5 n; it returns C seconds / memstorm seconds and both medians.
func (b *bench) fillRatio(ctx context.Context, n int64, name, via, size string, crefArgs ...string) (ratio, cs, ms float64, err error) {
	limit := n + n/2
	c := func() (float64, error) {
		p, err := b.lim.start(limit, append([]string{b.cref}, crefArgs...)...)
		if err != nil {
			return 0, err
		}
		defer p.stop()
		line, err := p.line()
		if err != nil {
			return 0, err
		}
		return parseNs(line)
	}
	ours := func() (float64, error) {
		sum, _, err := b.runScenario(ctx, name, fillYAML(name, via, size, n), limit, nil)
		if err != nil {
			return 0, err
		}
		return phaseSeconds(sum, "fill")
	}
	return sideBySide(b.cfg.Reps, c, ours, func(c, m float64) float64 { return c / m })
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// samplerCost: the supervisor process's CPU time per wall second while it
// samples, at 100 Hz, a worker that holds 1 GiB in 4 KiB chunks and does
// nothing else. Taken between the first and the last progress report of
// the hold phase.
func (b *bench) samplerCost(ctx context.Context, r *Result) error {
	n := b.bytes(gib)
	hold := max(time.Duration(float64(4*time.Second)*b.cfg.Scale), 1500*time.Millisecond)
	yaml := fmt.Sprintf(`name: bench-sampler
sample_every: 10ms
phases:
  - name: fill
    allocate: {via: malloc, size: {dist: fixed, value: 4KiB}, touch: true, until: {bytes: %d}}
  - name: hold
    hold: %dms
`, n, hold.Milliseconds())
	var t0, t1 time.Time
	var c0, c1 float64
	progress := func(p stress.Progress) {
		if p.Phase != "hold" {
			return
		}
		now, cpu := time.Now(), cpuSeconds()
		if t0.IsZero() {
			t0, c0 = now, cpu
		}
		t1, c1 = now, cpu
	}
	if _, _, err := b.runScenario(ctx, "bench-sampler", yaml, n+n/2, progress); err != nil {
		return err
	}
	if !t1.After(t0) {
		return fmt.Errorf("the hold phase gave fewer than two progress reports")
	}
	r.SamplerCoreFraction = (c1 - c0) / t1.Sub(t0).Seconds()
	return nil
}

// peakCapture: a 256 MiB spike allocated in 1 MiB chunks and freed at once
// (glibc serves those by mmap, so RSS drops right after). The truth is the
// kernel's VmHWM of the worker: this process's RUSAGE_CHILDREN ru_maxrss,
// provided no earlier child of bench was larger (checked).
func (b *bench) peakCapture(ctx context.Context, r *Result) error {
	n := max(b.bytes(gib/4), 64<<20) // above the C compiler's peak, an earlier child
	yaml := fmt.Sprintf(`name: bench-spike
phases:
  - name: spike
    allocate: {via: malloc, size: {dist: fixed, value: 1MiB}, touch: true, until: {bytes: %d}}
  - name: free
    free: all
  - name: after
    hold: 200ms
`, n)
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru0)
	sum, smps, err := b.runScenario(ctx, "bench-spike", yaml, 2*n, nil)
	if err != nil {
		return err
	}
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru1)
	if ru1.Maxrss <= ru0.Maxrss {
		return fmt.Errorf("an earlier child (ru_maxrss %d KiB) was larger than the spike: no independent VmHWM", ru0.Maxrss)
	}
	hwm := float64(ru1.Maxrss * 1024)
	var sampled int64
	for _, s := range smps {
		sampled = max(sampled, s.RSS)
	}
	r.PeakCaptureError = abs(float64(sum.PeakRSSBytes)-hwm) / hwm
	r.PeakCaptureErrorSample = abs(float64(sampled)-hwm) / hwm
	return nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
