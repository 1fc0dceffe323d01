package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/trace"
)

func TestRecordedReplayRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.trace")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := trace.NewWriter(f)
	for _, e := range []trace.Event{
		{Op: trace.OpRSS, Time: 0, Size: 1000},            // the baseline
		{Op: trace.OpMalloc, Time: 10, ID: 0, Size: 5000}, // first allocation
		{Op: trace.OpRSS, Time: 20, Size: 9000},           // peak
		{Op: trace.OpFree, Time: 30, ID: 0},               // last free
		{Op: trace.OpRSS, Time: 40, Size: 4000},           // after it
		{Op: trace.OpRSS, Time: 50, Size: 2000},           // later
		{Op: trace.OpMalloc, Time: 60, ID: 0, Size: 100},  // live at exit
	} {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	row, err := RecordedReplayRow(path)
	if err != nil {
		t.Fatal(err)
	}
	if row.Baseline != 1000 || row.PeakRSS != 8000 || row.EndRSS != 1000 || row.PeakLive != 5000 || len(row.Curve) != 4 {
		t.Errorf("row %+v, want baseline 1000, peak 8000, at the last sample 1000, peak live 5000, 4 points", row)
	}
}

func TestReplayRunRowAndTable(t *testing.T) {
	r := &Run{rundir.Run{Dir: "x", Samples: []rundir.Sample{
		{T: 1, Phase: "load", Anon: 50},
		{T: 2, Phase: "replay", Anon: 100},
		{T: 3, Phase: "replay", Anon: 8100},
		{T: 4, Phase: "replay", Anon: 3100},
		{T: 5, Phase: "after", Anon: 100},
	}, Events: []rundir.Event{{Kind: rundir.EventReplay, Phase: "replay", Bytes: rundir.Figure(5000)}}}}
	row, err := ReplayRunRow(r, "replay", "replay, glibc")
	if err != nil {
		t.Fatal(err)
	}
	if row.Baseline != 100 || row.PeakRSS != 8000 || row.EndRSS != 3000 || row.PeakLive != 5000 || !row.Sampled {
		t.Errorf("row %+v, want baseline 100, peak 8000, at end 3000, peak live 5000, from the samples", row)
	}
	// With the figures at the recorded points, those are the row's.
	r.Events[0].Replay = &rundir.ReplayFigures{PeakLive: 5000, RSSSamples: 3, Baseline: 7, PeakRSS: 9000, EndRSS: 2000}
	if row2, err := ReplayRunRow(r, "replay", "x"); err != nil || row2.Sampled || row2.PeakRSS != 9000 || row2.EndRSS != 2000 || row2.Baseline != 7 {
		t.Errorf("row %+v (%v), want the event's figures", row2, err)
	}
	if _, err := ReplayRunRow(r, "nope", "x"); err == nil {
		t.Error("a phase without samples gave a row")
	}
	rec := ReplayRow{Label: "recorded program", PeakLive: 5000, PeakRSS: 10000, EndRSS: 0}
	var b bytes.Buffer
	if err := WriteReplayTable(&b, []ReplayRow{rec, row}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"recorded program", "replay, glibc *", "-20.0%", "undefined", "* from the run's samples"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	var png bytes.Buffer
	if err := ReplayFigure([]ReplayRow{rec, row}).WritePNG(&png); err != nil || png.Len() == 0 {
		t.Errorf("figure: %v, %d bytes", err, png.Len())
	}
}
