package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir/rundirtest"
)

func TestCompare(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, d := range []string{a, b} {
		os.MkdirAll(d, 0o755)
	}
	rundirtest.WriteSynthetic(t, a, 1000, 30)
	rundirtest.WriteSynthetic(t, b, 1500, 60) // same scenario and allocator: twice as slow
	out := filepath.Join(root, "cmp")
	if err := Compare(out, []string{a, b}, "punch-holes"); err != nil {
		t.Fatal(err)
	}
	var c Comparison
	js, err := os.ReadFile(filepath.Join(out, "compare.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Runs) != 2 || c.Runs[0].Label != "punch-holes / glibc (a)" || c.Runs[1].Label != "punch-holes / glibc (b)" {
		t.Fatalf("runs %+v, want two labelled apart by directory", c.Runs)
	}
	if r := c.Runs[0].PeakRSSRatio; r == nil || *r != 1 {
		t.Errorf("first run's ratio to itself = %v, want 1", r)
	}
	// Same curve, different noise: the second run's peak is within 2%.
	if r := c.Runs[1].PeakRSSRatio; r == nil || *r < 0.98 || *r > 1.02 {
		t.Errorf("second run's peak RSS ratio %v, want about 1", r)
	}
	if len(c.Phases) != 4 || len(c.Runs[1].PhaseRSS) != 4 || c.Runs[1].LastFrag != nil {
		t.Errorf("phases %v, phase RSS %v, last frag %v (live is 0 at the end: undefined)", c.Phases, c.Runs[1].PhaseRSS, c.Runs[1].LastFrag)
	}
	html, err := os.ReadFile(filepath.Join(out, "compare.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"punch-holes / glibc (a)", "since the start of &#39;punch-holes&#39;", `<tr class="run">`, "(1.0x)"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("compare.html lacks %q", want)
		}
	}
	if n := strings.Count(string(html), `<svg class="fig"`); n != 5 {
		t.Errorf("%d figures, want 5 (RSS, live, heap held, cgroup usage, fragmentation)", n)
	}
	if strings.Contains(string(html), "http://") || strings.Contains(string(html), "https://") {
		t.Error("compare.html references the network")
	}
	if err := Compare(out, []string{a}, "no-such-phase"); err == nil || !strings.Contains(err.Error(), "no-such-phase") {
		t.Errorf("aligning at a missing phase: %v", err)
	}
}
