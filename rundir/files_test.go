package rundir_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/rundir/rundirtest"
)

func TestEventsRoundTrip(t *testing.T) {
	want := []rundir.Event{
		{T: 0, Kind: rundir.EventPhaseStart, Phase: "fill"},
		{T: 1.5, Kind: rundir.EventENOMEM, Phase: "fill", Detail: "malloc(4096) = NULL", Bytes: rundir.Figure(1 << 28)},
		{T: 2, Kind: rundir.EventOOMKill, Detail: "memory.events oom_kill 1"},
		{T: 3, Kind: rundir.EventTrim, Phase: "trim", Bytes: rundir.Figure(0)}, // returned nothing: a figure
	}
	var buf bytes.Buffer
	w := rundir.NewEventWriter(&buf)
	for i := range want {
		if err := w.Write(&want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(buf.String(), `"kind":"trim","phase":"trim","bytes":0}`) {
		t.Errorf("a trim that returned 0 bytes lost its figure:\n%s", buf.String())
	}
	buf.WriteString("\n") // a blank line is skipped
	got, err := rundir.ReadEvents(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = rundir.ReadEvents(strings.NewReader(`{"t_s":1,"kind":"trim"}` + "\n{broken\n"))
	if err == nil || !strings.Contains(err.Error(), "events.jsonl:2:") {
		t.Errorf("error %v, want one naming line 2", err)
	}
}

func TestSummaryRoundTripAndLoadRun(t *testing.T) {
	dir := t.TempDir()
	want := rundirtest.WriteSynthetic(t, dir, 200, 10)
	got, err := rundir.ReadSummary(filepath.Join(dir, rundir.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	// No temporary file is left beside it.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	r, err := rundir.LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Samples) != 200 || len(r.Events) != 10 || !strings.Contains(r.Scenario, "punch-holes") {
		t.Errorf("LoadRun: %d samples, %d events, scenario %q", len(r.Samples), len(r.Events), r.Scenario)
	}
	// A run killed before events.jsonl and scenario.yaml still loads;
	// one without samples.csv does not.
	os.Remove(filepath.Join(dir, rundir.EventsFile))
	os.Remove(filepath.Join(dir, rundir.ScenarioFile))
	if r, err = rundir.LoadRun(dir); err != nil || r.Events != nil || r.Scenario != "" {
		t.Errorf("LoadRun without events/scenario: %v, %d events", err, len(r.Events))
	}
	os.Remove(filepath.Join(dir, rundir.SamplesFile))
	if _, err := rundir.LoadRun(dir); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), rundir.SamplesFile) {
		t.Errorf("LoadRun without samples.csv: %v, want a not-exist error naming it", err)
	}
}
