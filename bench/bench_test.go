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
	r, a, b, err := sideBySide(3, ref, ours, func(x, y float64) float64 { return x / y })
	if err != nil || r != 0.5 || a != 2 || b != 4 {
		t.Fatalf("sideBySide = %v %v %v %v, want 0.5 2 4 nil", r, a, b, err)
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
	for k, v := range r.Values() {
		if k == "fleet_seconds_1000_bundles" {
			if v <= 0 || r.Detail.FleetBundles < 10 || r.Detail.FleetRuns != 3*r.Detail.FleetBundles {
				t.Errorf("fleet_seconds_1000_bundles = %v over %d bundles and %d runs, want a time over at least 10 bundles of 3 runs each", v, r.Detail.FleetBundles, r.Detail.FleetRuns)
			}
			continue
		}
		if k == "vs_stress_ng" || k == "startup_ms" {
			if v != -1 {
				t.Errorf("%s = %v without an Executable, want -1 (skipped)", k, v)
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
	if r.BookkeepingPerObject != 8 {
		t.Errorf("bookkeeping_bytes_per_object = %v, want 8 (one slot per object)", r.BookkeepingPerObject)
	}
	if r.Detail.EngineNsPerPair <= 0 || r.Detail.CNsPerPair <= 0 || r.Detail.FillGBps <= 0 || r.Detail.CFillGBps <= 0 {
		t.Errorf("absolute figures not all positive: %+v", r.Detail)
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
		if _, ok := got[g.Key].(float64); !ok {
			t.Errorf("JSON has no number %q: %s", g.Key, buf.String())
		}
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
}

func TestFailed(t *testing.T) {
	r := &Result{MallocFreeVsC: 0.9, FillVsC: 0.5, SamplerCoreFraction: 0.001, BookkeepingPerObject: 8,
		ReportSeconds1M: 1, VsStressNG: -1}
	if got := strings.Join(r.Failed(), ","); got != "fill_vs_c" {
		t.Errorf("Failed() = %s, want fill_vs_c", got)
	}
}
