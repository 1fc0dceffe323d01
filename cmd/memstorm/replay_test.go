package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/trace"
)

// A real program recorded, then replayed: the replay's peak of live bytes
// is the trace's exactly (one thread, recorded order), and the run prints
// the fidelity table beside the recorded program's row.
func TestRecordThenReplay(t *testing.T) {
	py := testenv.RequireCommand(t, "python3", "apt-get install python3")
	testenv.RequireCommand(t, "cc", "apt-get install gcc")
	dir := t.TempDir()
	prog := writeFile(t, dir, "prog.py", `
keep = []
for phase in range(3):
    d = {i: "y" * (i % 300) for i in range(30000)}
    keep.append(list(d.values())[::20])
    del d
`)
	t.Setenv("PYTHONMALLOC", "malloc") // every object through malloc
	tr := filepath.Join(dir, "prog.trace")
	code, stdout, stderr := memstorm(t, "record", "--out", tr, "--", py, prog)
	if code != exitOK || !strings.Contains(stdout, "recorded "+tr) {
		t.Fatalf("record: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	sum, err := trace.Scan(tr)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Allocs < 30000 || sum.PeakRSS == 0 {
		t.Fatalf("trace summary %+v: want the dicts' tens of thousands of allocations and RSS samples", sum)
	}
	sc := writeFile(t, dir, "replay.yaml", "name: rp\nsample_every: 5ms\nphases:\n  - name: replay\n    replay: {trace: prog.trace, threads: one}\n")
	out := filepath.Join(dir, "run")
	code, stdout, stderr = memstorm(t, "run", "--quiet", "--out", out, sc)
	if code != exitOK {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"replay of " + tr, "recorded program", "replay, glibc", filepath.Join(out, "replay.png")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e rundir.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Kind == rundir.EventReplay {
			found = true
			if e.Bytes == nil || *e.Bytes != int64(sum.PeakLive) {
				t.Errorf("replay peak live %v, want the trace's %d exactly (%s)", e.Bytes, sum.PeakLive, e.Detail)
			}
		}
	}
	if !found {
		t.Errorf("no replay event in events.jsonl:\n%s", b)
	}
}

// A truncated trace is bad input: exit 2 from run and validate, naming
// the file, with nothing run.
func TestCorruptTraceExits2(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "x.trace"))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := trace.NewWriter(f)
	for i := 0; i < 100; i++ {
		if err := w.Write(trace.Event{Op: trace.OpMalloc, Time: int64(i), ID: uint32(i), Size: 64}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The end record cut off, as when a copy was cut short.
	st, _ := f.Stat()
	if err := f.Truncate(st.Size() - 3); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	sc := writeFile(t, dir, "s.yaml", "phases:\n  - replay: {trace: x.trace}\n")
	for _, cmd := range [][]string{{"validate", sc}, {"run", "--quiet", "--out", filepath.Join(dir, "run"), sc}} {
		code, _, stderr := memstorm(t, cmd...)
		if code != exitUsage || !strings.Contains(stderr, "x.trace") || !strings.Contains(stderr, "truncated") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and the file named as truncated", cmd[0], code, stderr)
		}
		if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 0 {
			t.Errorf("%s: %d lines of errors, want one:\n%s", cmd[0], n+1, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "run")); err == nil {
		t.Error("a run directory was left for a refused scenario")
	}
}

func TestRecordBadUsageExits2(t *testing.T) {
	dir := t.TempDir()
	existing := writeFile(t, dir, "x.trace", "")
	for _, args := range [][]string{
		{"record"},
		{"record", "--out", filepath.Join(dir, "a.trace"), "--", "no-such-program-memstorm"},
		{"record", "--out", existing, "--", "true"},
		{"record", "--allocator", "nosuch", "--out", filepath.Join(dir, "b.trace"), "--", "true"},
	} {
		if code, _, stderr := memstorm(t, args...); code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
}

// An import of a file that is not in the format exits 2 and leaves no
// trace behind.
func TestImportBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.txt", "hello\n")
	out := filepath.Join(dir, "bad.trace")
	for _, format := range []string{"heaptrack", "mtrace"} {
		code, _, stderr := memstorm(t, "import", "--out", out, format, bad)
		if code != exitUsage || !strings.Contains(stderr, "bad.txt") {
			t.Errorf("import %s: exit %d, stderr %q; want 2 naming the file", format, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("import %s left %s behind", format, out)
		}
	}
	if code, _, _ := memstorm(t, "import", "perf", bad); code != exitUsage {
		t.Errorf("import of an unknown format: exit %d, want 2", code)
	}
}
