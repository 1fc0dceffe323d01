package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/trace"
)

// smallTrace writes a trace of three objects, one live at the end, in dir.
func smallTrace(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "small.trace")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := trace.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []trace.Event{
		{Op: trace.OpMalloc, Time: 1, ID: 0, Size: 1000},
		{Op: trace.OpMalloc, Time: 2, ID: 1, Size: 3000},
		{Op: trace.OpRSS, Time: 3, Size: 1 << 20},
		{Op: trace.OpFree, Time: 4, ID: 0},
		{Op: trace.OpCalloc, Time: 5, ID: 0, Size: 500},
	} {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReplayPhase(t *testing.T) {
	dir := t.TempDir()
	smallTrace(t, dir)
	sc, err := Parse(filepath.Join(dir, "s.yaml"), []byte("phases:\n  - replay: {trace: small.trace, timing: x2.5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Phases[0].Replay
	if r.Path != filepath.Join(dir, "small.trace") || r.Threads != ThreadsRecorded || r.Speed != 2.5 || !r.TouchesPages() {
		t.Errorf("replay = %+v, want the path resolved beside the scenario, threads recorded, speed 2.5, touch", r)
	}
	if r.PeakLive != 4000 || r.EndLive != 3500 || r.Events != 5 || r.PeakRSS != 1<<20 {
		t.Errorf("trace figures %+v, want peak 4000, end 3500, 5 events (the RSS sample included), RSS 1 MiB", r)
	}
	if b, ok := sc.Bounded(); !ok || b != 4000 {
		t.Errorf("Bounded() = %d, %v; want the trace's peak 4000", b, ok)
	}
}

func TestReplayPhaseErrors(t *testing.T) {
	dir := t.TempDir()
	good := smallTrace(t, dir)
	b, _ := os.ReadFile(good)
	if err := os.WriteFile(filepath.Join(dir, "cut.trace"), b[:len(b)-3], 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, yaml, want string }{
		{"no trace", "replay: {threads: one}", "phases[0].replay.trace: required"},
		{"missing file", "replay: {trace: nope.trace}", "nope.trace: no such file"},
		{"truncated", "replay: {trace: cut.trace}", "cut.trace: trace: event"},
		{"threads", "replay: {trace: small.trace, threads: two}", "want threads recorded or one"},
		{"timing", "replay: {trace: small.trace, timing: x0}", "want asap, recorded, or xN"},
		{"timing word", "replay: {trace: small.trace, timing: fast}", "want asap, recorded, or xN"},
		{"unknown key", "replay: {trace: small.trace, speed: 2}", "speed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(dir, "s.yaml"), []byte("phases:\n  - "+tc.yaml+"\n"))
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *ScenarioError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestParseTiming(t *testing.T) {
	for in, want := range map[string]float64{"": 0, "asap": 0, "recorded": 1, "x10": 10, "×0.5": 0.5} {
		if got, err := parseTiming(in); err != nil || got != want {
			t.Errorf("parseTiming(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "x-1", "xNaN", "xInf", "2", "x1e7"} {
		if _, err := parseTiming(in); err == nil {
			t.Errorf("parseTiming(%q) accepted", in)
		}
	}
}
