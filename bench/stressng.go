package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// stressNG: stress-ng --bigheap's seconds / memstorm's seconds to bring a
// 1 GiB cgroup to 95% of its limit. Both are started the same way: as a
// process tree inside a fresh child cgroup with that limit, timed from the
// start of the process until a 1 ms poll of the cgroup's usage crosses 95%,
// then killed with the group. memstorm runs `memstorm run --cgroup none` on
// a scenario whose point is the limit: one filler per CPU, each mapping
// 8 MiB at a time (under 1% of the limit, so a stop at a share of it lands
// within 1%), populated by the kernel (populate: write) in transparent huge
// pages (huge: thp), without a byte bound it could reach.
func (b *bench) stressNG(ctx context.Context, r *Result) error {
	sng, err := exec.LookPath("stress-ng")
	if err != nil {
		r.skip("vs_stress_ng", "stress-ng is not installed (apt-get install stress-ng, or make bench)")
		return nil
	}
	if b.cfg.Executable == "" {
		r.skip("vs_stress_ng", "no memstorm executable to start as `memstorm run` (bench run from a test binary)")
		return nil
	}
	limit := b.bytes(gib)
	yamlPath := filepath.Join(b.cfg.Dir, "bench-to-limit.yaml")
	yaml := fmt.Sprintf(`name: bench-to-limit
workers: %d
phases:
  - name: eat
    allocate: {via: mmap, size: 8MiB, populate: write, huge: thp, until: {bytes: %d}}
`, runtime.NumCPU(), 4*limit)
	if err := os.WriteFile(yamlPath, []byte(yaml), 0o644); err != nil {
		return err
	}
	bound := 60 * time.Second
	toLimit := func(argv ...string) (float64, error) {
		t0 := time.Now()
		p, err := b.lim.start(limit, false, argv...)
		if err != nil {
			return 0, err
		}
		defer p.stop()
		buf := make([]byte, 32)
		for {
			u, err := p.usage(buf)
			if err != nil {
				return 0, err
			}
			if u >= limit*95/100 {
				return time.Since(t0).Seconds(), nil
			}
			if time.Since(t0) > bound || ctx.Err() != nil {
				return 0, fmt.Errorf("%v did not reach 95%% of %d bytes in %v (usage %d)", argv, limit, bound, u)
			}
			time.Sleep(time.Millisecond)
		}
	}
	ref := func() (float64, error) {
		return toLimit(sng, "--bigheap", "1", "--timeout", "120s", "--quiet")
	}
	n := 0
	ours := func() (float64, error) {
		n++
		out := filepath.Join(b.cfg.Dir, fmt.Sprintf("to-limit-%d", n))
		defer os.RemoveAll(out)
		return toLimit(b.cfg.Executable, "run", "--cgroup", "none", "--out", out, yamlPath)
	}
	p, err := sideBySide(b.cfg.Reps, ref, ours, func(s, m float64) float64 { return s / m })
	if err != nil {
		return err
	}
	r.VsStressNG, r.Detail.StressNGSeconds, r.Detail.MemstormSeconds = median(p.ratios), median(p.refs), median(p.ours)
	r.spread("vs_stress_ng", p.ratios)
	return nil
}
