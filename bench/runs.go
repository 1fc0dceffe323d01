package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/sample"
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
	if b.cpu >= 0 {
		opt.WorkerCPUs = []int{b.cpu}
	}
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

// fillYAML allocates bytes via via with sizes size, touched (extra: more
// keys of the allocate step, e.g. "populate: write"), then ends.
func fillYAML(name, via, size, extra string, bytes int64) string {
	if extra != "" {
		extra = "\n      " + extra
	}
	return fmt.Sprintf(`name: %s
sample_every: 20ms
phases:
  - name: fill
    allocate:
      via: %s
      size: %s
      touch: true%s
      until: {bytes: %d}
`, name, via, size, extra, bytes)
}

// fill: C seconds / memstorm seconds to allocate and touch 1 GiB in 64 B to
// 4 KiB chunks; memstorm's seconds are its fill phase in a full run.
func (b *bench) fill(ctx context.Context, r *Result) error {
	n := b.bytes(gib)
	p, err := b.fillRatio(ctx, n, "bench-fill", "malloc", "{dist: uniform, min: 64, max: 4KiB}", "",
		"fill", "1", strconv.FormatInt(n, 10), "64", "4096")
	if err != nil {
		return err
	}
	r.FillVsC, r.Detail.FillBytes = median(p.ratios), n
	r.Detail.CFillGBps, r.Detail.FillGBps = float64(n)/median(p.refs)/1e9, float64(n)/median(p.ours)/1e9
	r.spread("fill_vs_c", p.ratios)
	return nil
}

// mmapFill: mmap(MAP_POPULATE) seconds / memstorm's seconds to fill 1 GiB
// through its mmap backend (1 MiB mappings, populate: write).
func (b *bench) mmapFill(ctx context.Context, r *Result) error {
	n := b.bytes(gib)
	p, err := b.fillRatio(ctx, n, "bench-mmap", "mmap", "{dist: fixed, value: 1MiB}", "populate: write",
		"populate", strconv.FormatInt(n, 10))
	if err != nil {
		return err
	}
	r.MmapFillVsPopulate = median(p.ratios)
	r.Detail.PopulateGBps, r.Detail.MmapFillGBps = float64(n)/median(p.refs)/1e9, float64(n)/median(p.ours)/1e9
	r.spread("mmap_fill_vs_populate", p.ratios)
	// The bounds beside it: plain C filling 1 MiB mappings by touching, and
	// by MADV_POPULATE_WRITE (one run each, after the comparison).
	for _, m := range []struct {
		mode string
		dst  *float64
	}{{"touch", &r.Detail.MmapTouchGBps}, {"populate-write", &r.Detail.PopulateWriteGBps}} {
		s, err := b.crefLimited(n+n/2, "mmapfill", strconv.FormatInt(n, 10), strconv.Itoa(1<<20), m.mode)
		if err != nil {
			return err
		}
		*m.dst = float64(n) / s / 1e9
	}
	return nil
}

// crefLimited runs the C reference with args in a cgroup limited to limit
// bytes, pinned, and returns the seconds it printed.
func (b *bench) crefLimited(limit int64, args ...string) (float64, error) {
	p, err := b.lim.start(limit, true, append([]string{b.cref}, args...)...)
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

// fillRatio times, side by side, the C reference program run with crefArgs
// and memstorm's fill of n bytes via the backend, both in cgroups limited to
// 1.5 n and pinned to the same CPU; the ratios are C seconds / memstorm
// seconds.
func (b *bench) fillRatio(ctx context.Context, n int64, name, via, size, extra string, crefArgs ...string) (pairs, error) {
	limit := n + n/2
	c := func() (float64, error) { return b.crefLimited(limit, crefArgs...) }
	ours := func() (float64, error) {
		sum, _, err := b.runScenario(ctx, name, fillYAML(name, via, size, extra, n), limit, nil)
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
// samples a worker that holds 1 GiB in 4 KiB chunks and does nothing else,
// at 100 Hz and at 1 kHz, each Reps times. Taken between the progress
// reports of the hold phase from sample.Calm into it (the sampler starts a
// limited run at its fast interval) to its end. Beside them, the floor: a C
// loop waking at the same rate and reading statm and a cgroup usage file.
func (b *bench) samplerCost(ctx context.Context, r *Result) error {
	for _, hz := range []struct {
		key   string
		every time.Duration
		dst   *float64
		floor *float64
	}{
		{"sampler_core_fraction", 10 * time.Millisecond, &r.SamplerCoreFraction, &r.Detail.SamplerFloor100Hz},
		{"sampler_core_fraction_1khz", time.Millisecond, &r.SamplerCoreFraction1K, &r.Detail.SamplerFloor1KHz},
	} {
		var xs []float64
		for range b.cfg.Reps {
			x, err := b.samplerCostOnce(ctx, hz.every)
			if err != nil {
				return err
			}
			xs = append(xs, x)
		}
		*hz.dst = median(xs)
		r.spread(hz.key, xs)
		floor, err := b.samplerFloor(hz.every)
		if err != nil {
			return err
		}
		*hz.floor = floor
	}
	reads, err := b.procReads()
	if err != nil {
		return err
	}
	r.Detail.StatmReadNs, r.Detail.StatReadNs, r.Detail.StatusReadNs = reads["statm"], reads["stat"], reads["status"]
	return nil
}

func (b *bench) samplerCostOnce(ctx context.Context, every time.Duration) (float64, error) {
	n := b.bytes(gib)
	hold := max(time.Duration(float64(3*time.Second)*b.cfg.Scale), 1500*time.Millisecond) + sample.Calm
	yaml := fmt.Sprintf(`name: bench-sampler
sample_every: %dus
phases:
  - name: fill
    allocate: {via: malloc, size: {dist: fixed, value: 4KiB}, touch: true, until: {bytes: %d}}
  - name: hold
    hold: %dms
`, every.Microseconds(), n, hold.Milliseconds())
	var start, t0, t1 time.Time
	var c0, c1 float64
	progress := func(p stress.Progress) {
		if p.Phase != "hold" {
			return
		}
		now, cpu := time.Now(), cpuSeconds()
		if start.IsZero() {
			start = now
		}
		if now.Sub(start) < sample.Calm+100*time.Millisecond {
			return
		}
		if t0.IsZero() {
			t0, c0 = now, cpu
		}
		t1, c1 = now, cpu
	}
	// The limit is far (4 n): the fill is not near it, so the sampler is at
	// its interval from sample.Calm after the start, and throughout the
	// hold (at 1.5 n it samples fast through the fill, and the measured
	// cost of the hold came out higher and wider).
	if _, _, err := b.runScenario(ctx, "bench-sampler", yaml, 4*n, progress); err != nil {
		return 0, err
	}
	if !t1.After(t0) {
		return 0, fmt.Errorf("the hold phase gave fewer than two progress reports after %v", sample.Calm)
	}
	return (c1 - c0) / t1.Sub(t0).Seconds(), nil
}

// samplerFloor runs the C reference's `ticks` at the interval for 2 s,
// reading this process's statm and its memory cgroup's usage file.
func (b *bench) samplerFloor(every time.Duration) (float64, error) {
	usage, err := b.lim.host.Current()
	if err != nil {
		return 0, err
	}
	defer usage.Close()
	cmd := exec.Command(b.cref, "ticks", strconv.FormatInt(int64(time.Second/every), 10), "2000",
		"/proc/self/statm", usage.UsageFile().Name())
	cmd.Env = append(os.Environ(), crefEnv(b.cpu)...)
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("running %v: %w", cmd.Args, err)
	}
	var cpuNs, wallNs float64
	if _, err := fmt.Sscan(string(out), &cpuNs, &wallNs); err != nil || wallNs <= 0 {
		return 0, fmt.Errorf("%v printed %q, not CPU and wall nanoseconds", cmd.Args, out)
	}
	return cpuNs / wallNs, nil
}

// procReads: the mean cost of one cache-cold pread (10 ms apart, as the
// sampler reads at 100 Hz) of a sleeping child's statm, stat and status.
func (b *bench) procReads() (map[string]float64, error) {
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() }()
	dir := "/proc/" + strconv.Itoa(sleeper.Process.Pid) + "/"
	cmd := exec.Command(b.cref, "procread", "10000", "100", dir+"statm", dir+"stat", dir+"status")
	cmd.Env = append(os.Environ(), crefEnv(b.cpu)...)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("running %v: %w", cmd.Args, err)
	}
	res := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, ns, ok := strings.Cut(line, "\t")
		v, err := strconv.ParseFloat(ns, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("%v printed %q", cmd.Args, line)
		}
		res[filepath.Base(path)] = v
	}
	return res, nil
}

// oomSamples: the samples before the kill of oom-at-limit at a 64 MiB
// limit (its 20 ms interval; the sampler goes fast near the limit), Reps
// times.
func (b *bench) oomSamples(ctx context.Context, r *Result) error {
	var xs, secs []float64
	for range b.cfg.Reps {
		sc, err := scenarios.Load("oom-at-limit")
		if err != nil {
			return err
		}
		sc.Scale(0.25) // 64 MiB
		n, s, err := b.runOOM(ctx, sc)
		if err != nil {
			return err
		}
		xs, secs = append(xs, float64(n)), append(secs, s)
	}
	r.OOMSamplesBeforeKill, r.Detail.OOMFillSeconds = median(xs), median(secs)
	r.spread("oom_samples_before_kill", xs)
	return nil
}

// runOOM runs sc, which must end in an OOM kill, and returns the samples
// before the kill event and the kill's time.
func (b *bench) runOOM(ctx context.Context, sc *scenarios.Scenario) (int, float64, error) {
	b.seqRun++
	dir := filepath.Join(b.cfg.Dir, fmt.Sprintf("run-oom-%d", b.seqRun))
	defer os.RemoveAll(dir)
	plan, err := stress.Prepare(sc, stress.Options{Dir: dir, Cgroup: stress.CgroupChild})
	if err != nil {
		return 0, 0, err
	}
	sum, err := plan.Run(ctx)
	if err != nil {
		return 0, 0, err
	}
	if sum.Outcome != rundir.OutcomeOOMKilled {
		return 0, 0, fmt.Errorf("%s ended %s (%s), not oom-killed", sc.Name, sum.Outcome, sum.Reason)
	}
	run, err := rundir.LoadRun(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range run.Events {
		if e.Kind == rundir.EventOOMKill {
			n := 0
			for _, s := range run.Samples {
				if s.T < e.T {
					n++
				}
			}
			return n, e.T, nil
		}
	}
	return 0, 0, fmt.Errorf("%s: no %s event", sc.Name, rundir.EventOOMKill)
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
