package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
)

// rundirFixture is a run directory under rundir/testdata/rundirs, copied
// into a temporary directory (report writes into it).
func rundirFixture(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "rundir", "testdata", "rundirs", name)
	dst := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestBadRunDirectoryExits2: a corrupt, truncated or planted run directory
// given to report or compare is bad input: exit 2, one line naming the file
// and line, and nothing written.
func TestBadRunDirectoryExits2(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    string // after the directory
	}{
		{"summary-truncated", "/summary.json:30:27: invalid JSON: unexpected end of JSON input"},
		{"summary-not-json", "/summary.json:1:2: invalid JSON: invalid character 'h' in literal true (expecting 'r')"},
		{"summary-unknown-outcome", `/summary.json:4: outcome "exploded" is not one of completed, oom-killed, enomem, stopped-at-limit, hugetlb-limit, interrupted, failed`},
		{"summary-wrong-type", "/summary.json:14: cannot unmarshal string into Go struct field Summary.peak_rss_bytes of type int64"},
		{"samples-truncated", "/samples.csv:25: 5 fields, header has 20"},
		{"samples-bad-number", `/samples.csv:10: column rss_bytes: invalid integer "24080384x"`},
		{"samples-missing", "/samples.csv: no such file or directory"},
		{"events-bad-line", "/events.jsonl:5:21: invalid JSON: unexpected end of JSON input"},
		{"not-a-run", ": not a memstorm run directory: no summary.json and no samples.csv"},
		{"samples-dev-zero", "/samples.csv: is a symbolic link, not a regular file; a run directory holds only regular files"},
		{"samples-fifo", "/samples.csv: is a named pipe, not a regular file; a run directory holds only regular files"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			var dir string
			switch tc.fixture {
			case "samples-dev-zero", "samples-fifo":
				dir = rundirFixture(t, "valid")
				p := filepath.Join(dir, rundir.SamplesFile)
				os.Remove(p)
				var err error
				if tc.fixture == "samples-fifo" {
					err = syscall.Mkfifo(p, 0o644)
				} else {
					err = os.Symlink("/dev/zero", p)
				}
				if err != nil {
					t.Fatal(err)
				}
			default:
				dir = rundirFixture(t, tc.fixture)
			}
			good := rundirFixture(t, "valid")
			out := filepath.Join(t.TempDir(), "cmp")
			for _, args := range [][]string{{"report", dir}, {"compare", "--out", out, good, dir}} {
				start := time.Now()
				code, stdout, stderr := memstorm(t, args...)
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%s took %v", args[0], d)
				}
				want := "memstorm " + args[0] + ": " + dir + tc.want + "\n"
				if code != exitUsage || stderr != want {
					t.Errorf("%s: exit %d, stderr\n  %q\nwant exit 2 and\n  %q", args[0], code, stderr, want)
				}
				if stdout != "" {
					t.Errorf("%s printed %q", args[0], stdout)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, rundir.ReportFile)); !os.IsNotExist(err) {
				t.Errorf("report.html written into a bad run directory (%v)", err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("compare created %s for bad input (%v)", out, err)
			}
		})
	}
}

// TestReportIncomplete: after a SIGKILL of the supervisor the run directory
// has samples and events but no summary; report renders what was recorded,
// says it is incomplete, and exits 0 (the report was written).
func TestReportIncomplete(t *testing.T) {
	dir := rundirFixture(t, "incomplete")
	code, stdout, stderr := memstorm(t, "report", dir)
	want := "report: " + dir + "/report.html (incomplete: the supervisor did not finish (no summary.json))\n"
	if code != exitOK || stdout != want || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, want)
	}
	html, err := os.ReadFile(filepath.Join(dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "incomplete <span class=\"reason\">— the supervisor did not finish (no summary.json)") {
		t.Error("report.html has no incomplete banner")
	}
	for _, f := range []string{"memory.png", "memory.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("no %s: %v", f, err)
		}
	}
}

// cliEnv makes the test binary run the command line itself (TestMain), so
// a test can measure one command in a process of its own.
const cliEnv = "MEMSTORM_TEST_CLI"

// TestBlankLinesAreCheap: 101 MB of blank lines in samples.csv (which took
// 1.4 GB to read) are refused at the line bound, in a child process whose
// peak RSS (getrusage) stays small.
func TestBlankLinesAreCheap(t *testing.T) {
	testenv.SkipUnderRace(t)
	dir := rundirFixture(t, "valid")
	f, err := os.Create(filepath.Join(dir, rundir.SamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("t_s,phase,rss_bytes\n0,fill,1\n")
	blank := bytes.Repeat([]byte{'\n'}, 1<<20)
	for i := 0; i < 101; i++ {
		if _, err := f.Write(blank); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "report", dir)
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	peak, err := testenv.MeasurePeakRSS(cmd)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	code := cmd.ProcessState.ExitCode()
	want := fmt.Sprintf("memstorm report: %s/samples.csv:%d: more than %d lines\n", dir, rundir.MaxSampleLines+1, rundir.MaxSampleLines)
	if code != exitUsage || stderr.String() != want {
		t.Errorf("exit %d (%v), stderr %q; want 2 and %q", code, err, stderr.String(), want)
	}
	maxRSS, err := peak()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report of 101 MiB of blank lines: exit %d in %v, peak RSS %d MiB", code, elapsed.Round(time.Millisecond), maxRSS>>20)
	if maxRSS > 64<<20 {
		t.Errorf("peak RSS %d MiB reading blank lines, want under 64 MiB", maxRSS>>20)
	}
	if elapsed > 10*time.Second {
		t.Errorf("took %v, want well under 10 s", elapsed)
	}
}
