package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/memstorm/memstorm/alloc/cref"
	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/machine"
	"github.com/memstorm/memstorm/rundir"
)

// Config says how large and how often to measure.
type Config struct {
	// Scale multiplies every size (1 GiB fills, 1M samples, op counts);
	// 1 is the documented benchmark, tests use small fractions.
	Scale float64
	// Reps is how many side-by-side repetitions each ratio takes the median of.
	Reps int
	// Dir is a scratch directory (the C reference and run directories go there).
	Dir string
	// Executable is the memstorm binary the stress-ng comparison starts as
	// `memstorm run`; "" skips that comparison (tests run from a test binary).
	Executable string
	// Log, when set, receives one line per measurement as it finishes.
	Log io.Writer
}

// Result holds every figure; the JSON names are those of the issue.
type Result struct {
	MallocFreeVsC          float64        `json:"malloc_free_vs_c"`
	FillVsC                float64        `json:"fill_vs_c"`
	MmapFillVsPopulate     float64        `json:"mmap_fill_vs_populate"`
	ThreadScaling          float64        `json:"thread_scaling"`
	SamplerCoreFraction    float64        `json:"sampler_core_fraction"`
	PeakCaptureError       float64        `json:"peak_capture_error"`
	PeakCaptureErrorSample float64        `json:"peak_capture_error_sampled"`
	BookkeepingPerObject   float64        `json:"bookkeeping_bytes_per_object"`
	ReportSeconds1M        float64        `json:"report_seconds_1m_samples"`
	VsStressNG             float64        `json:"vs_stress_ng"` // -1 when stress-ng is not installed
	FleetSeconds1000       float64        `json:"fleet_seconds_1000_bundles"`
	StartupMs              float64        `json:"startup_ms"` // memstorm version, exec to exit; -1 without an Executable
	Detail                 Detail         `json:"detail"`
	Machine                rundir.Machine `json:"machine"`
}

// Detail holds the absolute figures behind the ratios.
type Detail struct {
	EngineNsPerPair float64 `json:"engine_ns_per_pair"`
	CNsPerPair      float64 `json:"c_ns_per_pair"`
	FillGBps        float64 `json:"fill_gb_per_s"`
	CFillGBps       float64 `json:"c_fill_gb_per_s"`
	MmapFillGBps    float64 `json:"mmap_fill_gb_per_s"`
	PopulateGBps    float64 `json:"populate_gb_per_s"`
	Threads         int     `json:"threads"`
	StressNGSeconds float64 `json:"stress_ng_seconds"`
	MemstormSeconds float64 `json:"memstorm_seconds_to_limit"`
	ReportSamples   int     `json:"report_samples"`
	FleetBundles    int     `json:"fleet_bundles"`
	FleetRuns       int     `json:"fleet_runs"`
	FleetTarBytes   int64   `json:"fleet_tarball_bytes"` // of one bundle's tarball
	StartupInitMs   float64 `json:"startup_init_ms"`     // of StartupMs: package initialisation (inittrace)
	FillBytes       int64   `json:"fill_bytes"`
	Reps            int     `json:"reps"`
}

// Goal is the target of one figure.
type Goal struct {
	Key  string
	Text string
	Met  func(float64) bool // nil: reported only
	// NA, when set, is why a negative value means "not measured".
	NA string
}

// Goals lists the figures in table order.
var Goals = []Goal{
	{"malloc_free_vs_c", ">= 0.8", func(v float64) bool { return v >= 0.8 }, ""},
	{"fill_vs_c", ">= 0.8", func(v float64) bool { return v >= 0.8 }, ""},
	{"mmap_fill_vs_populate", "reported", nil, ""},
	{"thread_scaling", "reported (most of 1)", nil, ""},
	{"sampler_core_fraction", "<= 0.01", func(v float64) bool { return v <= 0.01 }, ""},
	{"peak_capture_error", "reported", nil, ""},
	{"peak_capture_error_sampled", "reported", nil, ""},
	{"bookkeeping_bytes_per_object", "<= 8", func(v float64) bool { return v <= 8 }, ""},
	{"report_seconds_1m_samples", "< 3", func(v float64) bool { return v < 3 }, ""},
	{"vs_stress_ng", "> 1", func(v float64) bool { return v > 1 }, "stress-ng not installed"},
	{"fleet_seconds_1000_bundles", "< 10", func(v float64) bool { return v < 10 }, ""},
	{"startup_ms", "reported", nil, "no memstorm binary"},
}

// Values returns the figures by JSON name.
func (r *Result) Values() map[string]float64 {
	return map[string]float64{
		"malloc_free_vs_c": r.MallocFreeVsC, "fill_vs_c": r.FillVsC, "mmap_fill_vs_populate": r.MmapFillVsPopulate,
		"thread_scaling": r.ThreadScaling, "sampler_core_fraction": r.SamplerCoreFraction,
		"peak_capture_error": r.PeakCaptureError, "peak_capture_error_sampled": r.PeakCaptureErrorSample,
		"bookkeeping_bytes_per_object": r.BookkeepingPerObject, "report_seconds_1m_samples": r.ReportSeconds1M,
		"vs_stress_ng": r.VsStressNG, "fleet_seconds_1000_bundles": r.FleetSeconds1000,
		"startup_ms": r.StartupMs,
	}
}

// bench is one benchmark invocation's state.
type bench struct {
	cfg    Config
	cref   string
	lim    *limiter
	seqRun int
}

func (b *bench) logf(format string, a ...any) {
	if b.cfg.Log != nil {
		fmt.Fprintf(b.cfg.Log, format+"\n", a...)
	}
}

func (b *bench) bytes(full int64) int64 { return int64(float64(full) * b.cfg.Scale) }

// Run takes every measurement in turn and returns them.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Scale <= 0 {
		cfg.Scale = 1
	}
	if cfg.Reps < 1 {
		cfg.Reps = 3
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("bench: Config.Dir is empty")
	}
	crefDir := filepath.Join(cfg.Dir, "cref")
	if err := os.MkdirAll(crefDir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	bin, err := cref.Build(crefDir)
	if err != nil {
		return nil, err
	}
	lim, err := newLimiter()
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, cref: bin, lim: lim}
	r := &Result{VsStressNG: -1}
	r.Detail.Reps, r.Detail.Threads = cfg.Reps, runtime.NumCPU()
	if r.Machine, err = machine.Describe(cgroup.DefaultRoots()); err != nil {
		return nil, fmt.Errorf("bench: describing the machine: %w", err)
	}
	// Peak capture first: its truth is this process's RUSAGE_CHILDREN
	// ru_maxrss, which must not yet hold a larger child.
	steps := []struct {
		name string
		f    func(context.Context, *Result) error
	}{
		{"peak_capture_error", b.peakCapture},
		{"malloc_free_vs_c", b.mallocFree},
		{"thread_scaling", b.threadScaling},
		{"bookkeeping_bytes_per_object", b.bookkeeping},
		{"fill_vs_c", b.fill},
		{"mmap_fill_vs_populate", b.mmapFill},
		{"sampler_core_fraction", b.samplerCost},
		{"report_seconds_1m_samples", b.reportSpeed},
		{"vs_stress_ng", b.stressNG},
		{"fleet_seconds_1000_bundles", b.fleet},
		{"startup_ms", b.startup},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		t0 := time.Now()
		if err := s.f(ctx, r); err != nil {
			return r, fmt.Errorf("bench %s: %w", s.name, err)
		}
		b.logf("%-30s %10.4g   (%.1fs)", s.name, r.Values()[s.name], time.Since(t0).Seconds())
	}
	return r, nil
}

// median returns the median of xs (the mean of the middle two for even n).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// sideBySide runs ref and ours reps times, alternating which goes first,
// after one discarded warm-up pair, and returns the median of ratio(ref, ours) and the medians of each side.
func sideBySide(reps int, ref, ours func() (float64, error), ratio func(ref, ours float64) float64) (r, mref, mours float64, err error) {
	var rs, as, bs []float64
	for i := -1; i < reps; i++ { // i == -1: one discarded warm-up pair
		var a, o float64
		if i%2 == 0 || i < 0 {
			if a, err = ref(); err == nil {
				o, err = ours()
			}
		} else {
			if o, err = ours(); err == nil {
				a, err = ref()
			}
		}
		if err != nil {
			return 0, 0, 0, err
		}
		if i >= 0 {
			rs, as, bs = append(rs, ratio(a, o)), append(as, a), append(bs, o)
		}
	}
	return median(rs), median(as), median(bs), nil
}
