package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
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
	// `memstorm run`, and the report-at-scale figure as `memstorm report`;
	// "" skips those figures (tests run from a test binary).
	Executable string
	// Log, when set, receives one line per measurement as it finishes.
	Log io.Writer
	// Only, when set, names the figures to measure (by JSON name; a step
	// that measures several is run when any of them is named); the others
	// are skipped.
	Only []string
}

// Result holds every figure; the JSON names are those of the issue. A
// figure listed in Skipped was not measured: its field is -1 and its JSON
// value null, and Skipped says why.
type Result struct {
	MallocFreeVsC          float64 `json:"malloc_free_vs_c"`
	FillVsC                float64 `json:"fill_vs_c"`
	MmapFillVsPopulate     float64 `json:"mmap_fill_vs_populate"`
	ThreadScaling          float64 `json:"thread_scaling"`
	SamplerCoreFraction    float64 `json:"sampler_core_fraction"`
	SamplerCoreFraction1K  float64 `json:"sampler_core_fraction_1khz"`
	OOMSamplesBeforeKill   float64 `json:"oom_samples_before_kill"`
	PeakCaptureError       float64 `json:"peak_capture_error"`
	PeakCaptureErrorSample float64 `json:"peak_capture_error_sampled"`
	BookkeepingPerObject   float64 `json:"bookkeeping_bytes_per_object"`
	ReportSeconds1M        float64 `json:"report_seconds_1m_samples"`
	ReportSeconds10M       float64 `json:"report_seconds_10m_samples"`
	ReportPeakRSS          float64 `json:"report_peak_rss_bytes"`
	VsStressNG             float64 `json:"vs_stress_ng"`
	FleetSeconds1000       float64 `json:"fleet_seconds_1000_bundles"`
	StartupMs              float64 `json:"startup_ms"` // memstorm version, exec to exit
	ReplayMopsPerSec       float64 `json:"replay_mops_per_s"`
	// Spread holds, for every figure measured more than once, the minimum,
	// median and maximum over its repetitions (the figure is the median).
	Spread map[string]Spread `json:"spread"`
	// Skipped maps a figure that was not measured to the reason.
	Skipped map[string]string `json:"skipped,omitempty"`
	Detail  Detail            `json:"detail"`
	Machine rundir.Machine    `json:"machine"`
}

// Detail holds the absolute figures behind the ratios, and the bounds.
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
	ReportSamples10 int     `json:"report_samples_large"`
	FillBytes       int64   `json:"fill_bytes"`
	Reps            int     `json:"reps"`
	// PinnedCPU is the CPU both sides of a comparison ran on (-1: unpinned).
	PinnedCPU int `json:"pinned_cpu"`
	// The sampler's bounds, from the C reference (cref procread, cref ticks):
	// one cache-cold pread of each file, and the core fraction of a C loop
	// that wakes at 100 Hz and reads statm and a cgroup usage file.
	StatmReadNs       float64 `json:"statm_read_ns"`
	StatReadNs        float64 `json:"stat_read_ns"`
	StatusReadNs      float64 `json:"status_read_ns"`
	SamplerFloor100Hz float64 `json:"sampler_floor_core_fraction"`
	SamplerFloor1KHz  float64 `json:"sampler_floor_core_fraction_1khz"`
	OOMFillSeconds    float64 `json:"oom_fill_seconds"`
	PopulateWriteGBps float64 `json:"populate_write_gb_per_s"`
	MmapTouchGBps     float64 `json:"c_mmap_touch_gb_per_s"`
	FleetBundles      int     `json:"fleet_bundles"`
	FleetRuns         int     `json:"fleet_runs"`
	FleetTarBytes     int64   `json:"fleet_tarball_bytes"` // of one bundle's tarball
	StartupInitMs     float64 `json:"startup_init_ms"`     // of StartupMs: package initialisation (inittrace)
}

// Goal is the target of one figure.
type Goal struct {
	Key  string
	Text string
	Met  func(float64) bool // nil: reported only
}

// Goals lists the figures in table order.
var Goals = []Goal{
	{"malloc_free_vs_c", ">= 0.8", func(v float64) bool { return v >= 0.8 }},
	{"fill_vs_c", ">= 0.8", func(v float64) bool { return v >= 0.8 }},
	{"mmap_fill_vs_populate", ">= 0.8", func(v float64) bool { return v >= 0.8 }},
	{"thread_scaling", "reported (most of 1)", nil},
	{"sampler_core_fraction", "<= 0.005", func(v float64) bool { return v <= 0.005 }},
	{"sampler_core_fraction_1khz", "<= 0.03", func(v float64) bool { return v <= 0.03 }},
	{"oom_samples_before_kill", ">= 50", func(v float64) bool { return v >= 50 }},
	{"peak_capture_error", "reported", nil},
	{"peak_capture_error_sampled", "reported", nil},
	{"bookkeeping_bytes_per_object", "<= 8", func(v float64) bool { return v <= 8 }},
	{"report_seconds_1m_samples", "< 3", func(v float64) bool { return v < 3 }},
	{"report_seconds_10m_samples", "< 10", func(v float64) bool { return v < 10 }},
	{"report_peak_rss_bytes", "reported", nil},
	{"vs_stress_ng", ">= 3", func(v float64) bool { return v >= 3 }},
	{"fleet_seconds_1000_bundles", "< 10", func(v float64) bool { return v < 10 }},
	{"startup_ms", "reported", nil},
	{"replay_mops_per_s", ">= 10", func(v float64) bool { return v >= 10 }},
}

// fields maps each figure's JSON name to its field.
func (r *Result) fields() map[string]*float64 {
	return map[string]*float64{
		"malloc_free_vs_c": &r.MallocFreeVsC, "fill_vs_c": &r.FillVsC, "mmap_fill_vs_populate": &r.MmapFillVsPopulate,
		"thread_scaling": &r.ThreadScaling, "sampler_core_fraction": &r.SamplerCoreFraction,
		"sampler_core_fraction_1khz": &r.SamplerCoreFraction1K, "oom_samples_before_kill": &r.OOMSamplesBeforeKill,
		"peak_capture_error": &r.PeakCaptureError, "peak_capture_error_sampled": &r.PeakCaptureErrorSample,
		"bookkeeping_bytes_per_object": &r.BookkeepingPerObject, "report_seconds_1m_samples": &r.ReportSeconds1M,
		"report_seconds_10m_samples": &r.ReportSeconds10M, "report_peak_rss_bytes": &r.ReportPeakRSS,
		"vs_stress_ng": &r.VsStressNG, "fleet_seconds_1000_bundles": &r.FleetSeconds1000,
		"startup_ms": &r.StartupMs, "replay_mops_per_s": &r.ReplayMopsPerSec,
	}
}

// Values returns the figures by JSON name.
func (r *Result) Values() map[string]float64 {
	out := map[string]float64{}
	for k, p := range r.fields() {
		out[k] = *p
	}
	return out
}

// MarshalJSON writes a skipped figure as null (its reason is in "skipped").
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	b, err := json.Marshal((*plain)(r))
	if err != nil || len(r.Skipped) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k := range r.Skipped {
		m[k] = json.RawMessage("null")
	}
	return json.Marshal(m)
}

// skip records that figure key was not measured, and why.
func (r *Result) skip(key, reason string) {
	if r.Skipped == nil {
		r.Skipped = map[string]string{}
	}
	r.Skipped[key] = reason
}

// spread records the repetitions of figure key.
func (r *Result) spread(key string, xs []float64) {
	if len(xs) > 0 {
		if r.Spread == nil {
			r.Spread = map[string]Spread{}
		}
		r.Spread[key] = spreadOf(xs)
	}
}

// bench is one benchmark invocation's state.
type bench struct {
	cfg    Config
	cref   string
	lim    *limiter
	cpu    int // measuredCPU
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
		cfg.Reps = 5
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
	b := &bench{cfg: cfg, cref: bin, lim: lim, cpu: measuredCPU()}
	lim.cpu = b.cpu
	r := &Result{Spread: map[string]Spread{}}
	r.Detail.Reps, r.Detail.Threads, r.Detail.PinnedCPU = cfg.Reps, runtime.NumCPU(), b.cpu
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
		{"oom_samples_before_kill", b.oomSamples},
		{"report_seconds_1m_samples", b.reportSpeed},
		{"report_seconds_10m_samples", b.reportAtScale},
		{"vs_stress_ng", b.stressNG},
		{"fleet_seconds_1000_bundles", b.fleet},
		{"startup_ms", b.startup},
		{"replay_mops_per_s", b.replaySpeed},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		if !cfg.wants(s.name) {
			for _, k := range stepFigures[s.name] {
				r.skip(k, "not asked for (--only)")
			}
			continue
		}
		t0 := time.Now()
		if err := s.f(ctx, r); err != nil {
			return r, fmt.Errorf("bench %s: %w", s.name, err)
		}
		if why, ok := r.Skipped[s.name]; ok {
			b.logf("%-30s skipped: %s", s.name, why)
			continue
		}
		spread := "once"
		if sp, ok := r.Spread[s.name]; ok {
			spread = fmt.Sprintf("[%.4g .. %.4g over %d]", sp.Min, sp.Max, sp.N)
		}
		b.logf("%-30s %10.4g   %s   (%.1fs)", s.name, r.Values()[s.name], spread, time.Since(t0).Seconds())
	}
	for k := range r.Skipped {
		r.setSkipped(k)
	}
	return r, nil
}

// stepFigures lists the figures each step measures, by the step's name.
var stepFigures = map[string][]string{
	"peak_capture_error":           {"peak_capture_error", "peak_capture_error_sampled"},
	"malloc_free_vs_c":             {"malloc_free_vs_c"},
	"thread_scaling":               {"thread_scaling"},
	"bookkeeping_bytes_per_object": {"bookkeeping_bytes_per_object"},
	"fill_vs_c":                    {"fill_vs_c"},
	"mmap_fill_vs_populate":        {"mmap_fill_vs_populate"},
	"sampler_core_fraction":        {"sampler_core_fraction", "sampler_core_fraction_1khz"},
	"oom_samples_before_kill":      {"oom_samples_before_kill"},
	"report_seconds_1m_samples":    {"report_seconds_1m_samples"},
	"report_seconds_10m_samples":   {"report_seconds_10m_samples", "report_peak_rss_bytes"},
	"vs_stress_ng":                 {"vs_stress_ng"},
	"fleet_seconds_1000_bundles":   {"fleet_seconds_1000_bundles"},
	"startup_ms":                   {"startup_ms"},
	"replay_mops_per_s":            {"replay_mops_per_s"},
}

// wants says whether the step named step is to run under Only.
func (cfg Config) wants(step string) bool {
	if len(cfg.Only) == 0 {
		return true
	}
	for _, k := range cfg.Only {
		for _, f := range stepFigures[step] {
			if k == f {
				return true
			}
		}
	}
	return false
}

// CheckOnly returns an error naming a figure of only that bench does not know.
func CheckOnly(only []string) error {
	for _, k := range only {
		if _, ok := new(Result).fields()[k]; !ok {
			return fmt.Errorf("unknown figure %q (want one of the JSON names of memstorm bench --json)", k)
		}
	}
	return nil
}

// setSkipped sets a skipped figure's field to -1.
func (r *Result) setSkipped(key string) {
	if p, ok := r.fields()[key]; ok {
		*p = -1
	}
}
