package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSideBySideAlternates(t *testing.T) {
	var order []string
	ref := func() (float64, error) { order = append(order, "ref"); return 2, nil }
	ours := func() (float64, error) { order = append(order, "ours"); return 4, nil }
	p, err := sideBySide(3, ref, ours, func(x, y float64) float64 { return x / y })
	if err != nil || len(p.ratios) != 3 || median(p.ratios) != 0.5 || median(p.refs) != 2 || median(p.ours) != 4 {
		t.Fatalf("sideBySide = %+v %v, want 3 ratios of 0.5 from 2 and 4", p, err)
	}
	if got := strings.Join(order, ","); got != "ref,ours,ref,ours,ours,ref,ref,ours" {
		t.Errorf("order %s, want alternating firsts", got)
	}
}

// TestRunTiny runs every measurement at a tiny scale: each must come back
// positive and finite (no timing bounds here: `memstorm bench` checks the goals).
func TestRunTiny(t *testing.T) {
	testenv.SkipUnderRace(t)
	requireRoot(t)
	r, err := Run(context.Background(), Config{Scale: 0.02, Reps: 1, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// Without an Executable these cannot be measured: skipped, with words.
	for _, k := range []string{"vs_stress_ng", "report_seconds_10m_samples", "report_peak_rss_bytes", "startup_ms"} {
		if why := r.Skipped[k]; why == "" {
			t.Errorf("%s not skipped without an Executable (skipped: %v)", k, r.Skipped)
		}
	}
	for k, v := range r.Values() {
		if _, ok := r.Skipped[k]; ok {
			if v != -1 {
				t.Errorf("skipped %s = %v, want -1", k, v)
			}
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			t.Errorf("%s = %v, want a finite non-negative number", k, v)
		}
		if v == 0 && !strings.HasPrefix(k, "peak_capture_error") {
			t.Errorf("%s = 0, want a positive measurement", k)
		}
	}
	if d := r.Detail; d.FleetBundles < 10 || d.FleetRuns != 3*d.FleetBundles {
		t.Errorf("fleet_seconds_1000_bundles over %d bundles and %d runs, want at least 10 bundles of 3 runs each", d.FleetBundles, d.FleetRuns)
	}
	if r.BookkeepingPerObject != 8 {
		t.Errorf("bookkeeping_bytes_per_object = %v, want 8 (one slot per object)", r.BookkeepingPerObject)
	}
	d := r.Detail
	if d.EngineNsPerPair <= 0 || d.CNsPerPair <= 0 || d.FillGBps <= 0 || d.CFillGBps <= 0 || d.StatmReadNs <= 0 ||
		d.StatusReadNs <= 0 || d.SamplerFloor100Hz <= 0 || d.PopulateWriteGBps <= 0 || d.MmapTouchGBps <= 0 {
		t.Errorf("absolute figures not all positive: %+v", r.Detail)
	}
	// Every figure measured more than once has its spread, median inside.
	for _, k := range []string{"malloc_free_vs_c", "fill_vs_c", "sampler_core_fraction", "oom_samples_before_kill"} {
		sp, ok := r.Spread[k]
		if !ok || sp.N < 1 || sp.Min > sp.Median || sp.Median > sp.Max || sp.Median != r.Values()[k] {
			t.Errorf("spread of %s = %+v (ok %v), figure %v", k, sp, ok, r.Values()[k])
		}
	}

	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(r); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, g := range Goals {
		v, present := got[g.Key]
		_, skipped := r.Skipped[g.Key]
		if _, num := v.(float64); !present || num == skipped {
			t.Errorf("JSON %q = %v: want a number, or null when skipped (%v): %s", g.Key, v, skipped, buf.String())
		}
	}
	if sk, ok := got["skipped"].(map[string]any); !ok || sk["vs_stress_ng"] == nil {
		t.Errorf("JSON has no reason for the skipped vs_stress_ng: %s", buf.String())
	}
	if m, ok := got["machine"].(map[string]any); !ok || m["logical_cores"] == nil {
		t.Errorf("JSON has no machine description: %s", buf.String())
	}

	buf.Reset()
	if err := WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, g := range Goals {
		if !strings.Contains(buf.String(), g.Key) || !strings.Contains(buf.String(), g.Text) {
			t.Errorf("table lacks %s with its goal %q:\n%s", g.Key, g.Text, buf.String())
		}
	}
	if !strings.Contains(buf.String(), r.Skipped["vs_stress_ng"]) {
		t.Errorf("table does not say why vs_stress_ng was skipped:\n%s", buf.String())
	}
}

func TestFailed(t *testing.T) {
	r := &Result{MallocFreeVsC: 0.9, FillVsC: 0.5, MmapFillVsPopulate: 0.9, SamplerCoreFraction: 0.001,
		SamplerCoreFraction1K: 0.01, OOMSamplesBeforeKill: 80, BookkeepingPerObject: 8, ReportSeconds1M: 1,
		ReportSeconds10M: -1, VsStressNG: -1, FleetSeconds1000: 3, ReplayMopsPerSec: 20}
	r.skip("vs_stress_ng", "stress-ng is not installed")
	r.skip("report_seconds_10m_samples", "no executable")
	if got := strings.Join(r.Failed(), ","); got != "fill_vs_c" {
		t.Errorf("Failed() = %s, want fill_vs_c (skipped figures are not failures)", got)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m["vs_stress_ng"]; !ok || v != nil {
		t.Errorf("skipped vs_stress_ng in JSON = %v (present %v), want null", v, ok)
	}
	if m["fill_vs_c"] != 0.5 {
		t.Errorf("fill_vs_c in JSON = %v, want 0.5", m["fill_vs_c"])
	}
}

func TestSpreadOf(t *testing.T) {
	if got := spreadOf([]float64{3, 1, 2, 10}); got != (Spread{Min: 1, Median: 2.5, Max: 10, N: 4}) {
		t.Errorf("spreadOf = %+v", got)
	}
	if got := spreadOf(nil); got != (Spread{}) {
		t.Errorf("spreadOf(nil) = %+v", got)
	}
}
