package rundir_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/rundir"
)

// fixture is a run directory under testdata/rundirs, named for the fault
// it holds.
func fixture(name string) string { return filepath.Join("testdata", "rundirs", name) }

// copyFixture copies a fixture's files into a new temporary directory, for
// tests that change or add files.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(fixture(name), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestLoadRunRefusesBadFiles: every way a run directory's file can be
// wrong is an InputError whose text names the file, and the line (and
// column) where they are known.
func TestLoadRunRefusesBadFiles(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    string // after the fixture's path
	}{
		{"summary-truncated", "summary.json:30:27: invalid JSON: unexpected end of JSON input"},
		{"summary-not-json", "summary.json:1:2: invalid JSON: invalid character 'h' in literal true (expecting 'r')"},
		{"summary-unknown-outcome", `summary.json:4: outcome "exploded" is not one of completed, oom-killed, enomem, stopped-at-limit, hugetlb-limit, interrupted, failed`},
		{"summary-wrong-type", "summary.json:14: cannot unmarshal string into Go struct field Summary.peak_rss_bytes of type int64"},
		{"samples-truncated", "samples.csv:25: 5 fields, header has 20"},
		{"samples-bad-number", `samples.csv:10: column rss_bytes: invalid integer "24080384x"`},
		{"samples-missing", "samples.csv: no such file or directory"},
		{"events-bad-line", "events.jsonl:5:21: invalid JSON: unexpected end of JSON input"},
		{"not-a-run", "not-a-run: not a memstorm run directory: no summary.json and no samples.csv"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			r, err := rundir.LoadRun(fixture(tc.fixture))
			var ie *rundir.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("LoadRun = %v, %v; want an InputError", r, err)
			}
			want := filepath.Join(fixture(tc.fixture), tc.want)
			if tc.fixture == "not-a-run" {
				want = fixture(tc.want)
			}
			if err.Error() != want {
				t.Errorf("error\n  %s\nwant\n  %s", err, want)
			}
		})
	}
	if _, err := rundir.LoadRun(fixture("samples-missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing samples.csv: %v, want an error wrapping fs.ErrNotExist", err)
	}
	if _, err := rundir.LoadRun(fixture("not-a-run")); !errors.Is(err, rundir.ErrNotRunDir) {
		t.Errorf("no summary and no samples: %v, want ErrNotRunDir", err)
	}
}

// TestLoadRunRefusesSpecialFiles: a run directory whose samples.csv is a
// link to /dev/zero, a named pipe (which would block an open for reading)
// or a directory is refused at once, never read.
func TestLoadRunRefusesSpecialFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(path string) error
		want string
	}{
		{"symlink to /dev/zero", func(p string) error { return os.Symlink("/dev/zero", p) }, "is a symbolic link, not a regular file"},
		{"symlink to a regular file", func(p string) error {
			return os.Symlink(filepath.Join(fixture("valid"), rundir.SamplesFile), p)
		}, "is a symbolic link, not a regular file"},
		{"named pipe", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "is a named pipe, not a regular file"},
		{"directory", func(p string) error { return os.Mkdir(p, 0o755) }, "is a directory, not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, file := range []string{rundir.SamplesFile, rundir.SummaryFile, rundir.EventsFile, rundir.ScenarioFile} {
				dir := copyFixture(t, "valid")
				p := filepath.Join(dir, file)
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := tc.make(p); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { _, err := rundir.LoadRun(dir); done <- err }()
				select {
				case err := <-done:
					var ie *rundir.InputError
					if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), p+": "+tc.want) {
						t.Errorf("%s: error %v, want an InputError %q", file, err, p+": "+tc.want)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s: LoadRun still reading after 10 s", file)
				}
			}
		})
	}
}

// TestLoadRunBounds: a record past MaxSampleRecordBytes, and more than
// MaxSampleLines lines (blank ones count), are refused at the line where
// the bound is crossed.
func TestLoadRunBounds(t *testing.T) {
	dir := copyFixture(t, "valid")
	samples := filepath.Join(dir, rundir.SamplesFile)
	header := "t_s,phase,rss_bytes\n"
	long := header + "0,fill,1\n1," + strings.Repeat("p", rundir.MaxSampleRecordBytes) + ",2\n"
	if err := os.WriteFile(samples, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := rundir.LoadRun(dir)
	if want := samples + ":3: record longer than 64 KiB"; err == nil || err.Error() != want {
		t.Errorf("a long record: %v, want %q", err, want)
	}

	// A summary past its bound is refused from its size, unread (a sparse
	// file: nothing is written to disk); so is an event line past its own.
	dir2 := copyFixture(t, "valid")
	summary := filepath.Join(dir2, rundir.SummaryFile)
	if err := os.Truncate(summary, rundir.MaxSummaryBytes+1); err != nil {
		t.Fatal(err)
	}
	_, err = rundir.LoadRun(dir2)
	if want := summary + ": is 67108865 bytes, more than the 64 MiB a run directory's summary.json may be"; err == nil || err.Error() != want {
		t.Errorf("a large summary: %v, want %q", err, want)
	}
	dir3 := copyFixture(t, "valid")
	events := filepath.Join(dir3, rundir.EventsFile)
	if err := os.WriteFile(events, []byte(`{"t_s":1,"kind":"trim"}`+"\n"+`{"detail":"`+strings.Repeat("x", rundir.MaxEventLineBytes)+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = rundir.LoadRun(dir3)
	if want := events + ":2: line longer than 1 MiB"; err == nil || err.Error() != want {
		t.Errorf("a long event line: %v, want %q", err, want)
	}

	f, err := os.Create(samples)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(header + "0,fill,1\n")
	blank := make([]byte, 1<<20)
	for i := range blank {
		blank[i] = '\n'
	}
	for written := 2; written < rundir.MaxSampleLines-1; {
		k := min(len(blank), rundir.MaxSampleLines-1-written)
		f.Write(blank[:k])
		written += k
	}
	f.WriteString("1,fill,2\n") // line MaxSampleLines: still read
	f.Close()
	r, err := rundir.LoadRun(dir)
	if err != nil || len(r.Samples) != 2 {
		t.Fatalf("%d lines: %v, want them read (2 samples)", rundir.MaxSampleLines, err)
	}
	f, _ = os.OpenFile(samples, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\n")
	f.Close()
	_, err = rundir.LoadRun(dir)
	if want := fmt.Sprintf("%s:%d: more than %d lines", samples, rundir.MaxSampleLines+1, rundir.MaxSampleLines); err == nil || err.Error() != want {
		t.Errorf("one line more: %v, want %q", err, want)
	}
}

// TestLoadRunIncomplete: a run directory without summary.json (the
// supervisor was killed) loads, marked Incomplete, with what its samples
// and scenario.yaml say.
func TestLoadRunIncomplete(t *testing.T) {
	r, err := rundir.LoadRun(fixture("incomplete"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Incomplete || r.Summary.Outcome != "" {
		t.Errorf("Incomplete %v, outcome %q; want true and no outcome", r.Incomplete, r.Summary.Outcome)
	}
	s := r.Summary
	if s.Scenario != "every-other" || s.Samples != 39 || len(r.Samples) != 39 || len(r.Events) != 9 {
		t.Errorf("scenario %q, %d samples (%d read), %d events; want every-other, 39, 39, 9", s.Scenario, s.Samples, len(r.Samples), len(r.Events))
	}
	if s.PeakRSSBytes != 24100864 || s.PeakLiveBytes != 5369588 || s.DurationS != r.Samples[38].T {
		t.Errorf("peak RSS %d, peak live %d, duration %g; want 24100864, 5369588, %g", s.PeakRSSBytes, s.PeakLiveBytes, s.DurationS, r.Samples[38].T)
	}
	full, err := rundir.LoadRun(fixture("valid"))
	if err != nil || full.Incomplete {
		t.Errorf("the valid fixture: %v, incomplete %v", err, full != nil && full.Incomplete)
	}
}
