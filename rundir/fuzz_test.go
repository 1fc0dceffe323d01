package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzReadSamples: whatever samples.csv holds, the reader returns rows or
// one error naming the file, never panics, and the rows it returns write
// back and read again to the same figures.
func FuzzReadSamples(f *testing.F) {
	var buf bytes.Buffer
	sw, _ := NewSampleWriter(&buf)
	s := AbsentSample(0.5)
	s.Phase, s.RSS, s.Live = "fill", 1<<20, 4096
	sw.Write(&s)
	f.Add(buf.Bytes())
	f.Add([]byte("t_s,phase,rss_bytes\n0,fill,1\n\n\n"))
	f.Add([]byte("t_s,phase\n0,\"a,\"\"b\"\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ReadSamples(bytes.NewReader(b))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an InputError naming the file", err)
			}
			return
		}
		var out bytes.Buffer
		w, err := NewSampleWriter(&out)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			if err := w.Write(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		again, err := ReadSamples(&out)
		if err != nil || len(again) != len(rows) {
			t.Fatalf("rows written back read as %d rows, %v; want %d", len(again), err, len(rows))
		}
	})
}

// FuzzDecodeSummary: whatever summary.json holds, decoding gives a summary
// or one error naming the file, never a panic.
func FuzzDecodeSummary(f *testing.F) {
	b, _ := json.Marshal(Summary{Scenario: "x", Outcome: OutcomeCompleted, Phases: []PhaseSummary{{Name: "fill"}}})
	f.Add(b)
	f.Add([]byte(`{"scenario":"x","outcome":"nope"}`))
	f.Add([]byte(`{"cgroup":{"limit":"max","high":null,"swap":0}}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSummary(b, SummaryFile)
		if err == nil && s == nil {
			t.Fatal("no summary and no error")
		}
	})
}
