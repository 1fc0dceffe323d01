package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/wire"
	"github.com/memstorm/memstorm/worker"
)

// run starts real workers by re-executing this test binary.
func init() {
	if wire.IsWorker() {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	if wire.IsWorker() {
		os.Exit(worker.Main())
	}
	if os.Getenv(cliEnv) == "1" { // a child of TestBadInputIsRefusedQuickly
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func memstorm(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestList(t *testing.T) {
	code, out, _ := memstorm(t, "list")
	if code != exitOK {
		t.Fatalf("list exit %d", code)
	}
	for _, n := range scenarios.Names() {
		if !strings.Contains(out, n+" ") {
			t.Errorf("list does not show %s:\n%s", n, out)
		}
	}
}

// TestBadInputExits2 covers the promise: bad input gets one clear line,
// exit 2, and nothing is created.
func TestBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	malformed := writeFile(t, dir, "malformed.yaml", "name: x\nphases:\n  - allocate: {size: [\n")
	negative := writeFile(t, dir, "negative.yaml", "name: neg\nphases:\n  - allocate:\n      size: -3\n      until: {bytes: 1MiB}\n")
	unknownKey := writeFile(t, dir, "unknown.yaml", "name: u\nphasez: []\n")
	ok := writeFile(t, dir, "ok.yaml", "name: ok\nphases:\n  - allocate: {size: 4KiB, until: {bytes: 1MiB}}\n")
	oom := writeFile(t, dir, "oom.yaml", "name: oom\nphases:\n  - allocate: {size: 4KiB, until: oom}\n")
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"run", "no-such-scenario"}, "no-such-scenario"},
		{"malformed yaml", []string{"run", malformed}, "malformed.yaml:"},
		{"negative size", []string{"run", negative}, "negative.yaml:4:"},
		{"unknown key", []string{"run", unknownKey}, "phasez"},
		{"unwritable out", []string{"run", "--out", filepath.Join(dir, "file", "sub"), ok}, "cannot create"},
		{"bad limit flag", []string{"run", "--limit", "-5MiB", ok}, "--limit"},
		{"unknown allocator", []string{"run", "--allocator", "hoard", ok}, "unknown allocator"},
		{"unknown flag", []string{"run", "--frobnicate", ok}, "frobnicate"},
		{"unknown command", []string{"explode"}, "unknown command"},
		{"validate bad", []string{"validate", negative}, "negative.yaml:4:"},
		{"list with an argument", []string{"list", "extra"}, "takes no arguments"},
		{"zero scale", []string{"run", "--scale", "0", ok}, "--scale"},
		{"infinite scale", []string{"run", "--scale", "Inf", ok}, "--scale +Inf: want a factor from 1e-06 to 1e+06"},
		{"huge scale", []string{"run", "--scale", "1e308", ok}, "--scale 1e+308: want a factor from 1e-06 to 1e+06"},
		{"tiny scale", []string{"run", "--scale", "1e-300", ok}, "--scale 1e-300: want a factor from 1e-06 to 1e+06"},
		{"scale under a page", []string{"run", "--scale", "0.001", ok}, "phases[0].allocate.until.bytes: 1MiB × 0.001 comes to 1.02 KiB, want at least 4KiB"},
		{"1-byte limit", []string{"run", "--limit", "1", ok}, `--limit "1": want a limit of at least 4MiB`},
		{"empty limit", []string{"run", "--limit=", ok}, "--limit: want a size like 256MiB, got nothing"},
		{"empty high", []string{"run", "--high=", ok}, "--high: want a size like 256MiB, got nothing"},
		{"empty swap", []string{"run", "--swap=", ok}, "--swap: want a size like 256MiB, got nothing"},
		{"huge limit", []string{"run", "--limit", "2048TiB", ok}, "want a size of at most 1024TiB"},
		{"oom without a limit", []string{"run", oom}, "oom.yaml:3:35: phases[0].allocate.until: it allocates until an OOM kill, so it needs a memory limit"},
		{"validate oom without a limit", []string{"validate", oom}, "oom.yaml:3:35: phases[0].allocate.until: it allocates until an OOM kill, so it needs a memory limit"},
		{"validate 1-byte limit", []string{"validate", "--limit", "1", oom}, `--limit "1": want a limit of at least 4MiB`},
		{"validate bad cgroup", []string{"validate", "--cgroup", "sideways", oom}, `--cgroup "sideways": want auto, child, current or none`},
		{"validate scale", []string{"validate", "--scale", "1e-6", ok}, "comes to 1 B, want at least 4KiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := tc.args
			if args[0] == "run" && !contains(args, "--out") {
				args = append([]string{"run", "--out", out}, args[1:]...)
			}
			code, _, stderr := memstorm(t, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not mention %q:\n%s", tc.want, stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("bad input left %s behind", out)
			}
		})
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestRunWritesARunDirectory runs a small scenario through the CLI.
func TestRunWritesARunDirectory(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "small.yaml", `
name: small
phases:
  - name: fill
    allocate: {size: {dist: uniform, min: 64, max: 4KiB}, until: {bytes: 16MiB}}
  - name: punch
    free: every-other
expect:
  phases:
    punch: live < 60% of fill.live
`)
	out := filepath.Join(dir, "run")
	code, stdout, stderr := memstorm(t, "run", "--quiet", "--out", out, sc)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"small: completed", "PASS", filepath.Join(out, "report.html")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"samples.csv", "events.jsonl", "summary.json", "scenario.yaml", "memory.png", "memory.svg", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	// The same directory again is refused: a run never overwrites one.
	if code, _, stderr := memstorm(t, "run", "--quiet", "--out", out, sc); code != exitUsage {
		t.Errorf("second run into %s: exit %d, want 2; stderr %s", out, code, stderr)
	}
	if code, stdout, _ := memstorm(t, "report", out); code != exitOK || !strings.Contains(stdout, "report.html") {
		t.Errorf("report %s: exit %d, %s", out, code, stdout)
	}
}

// TestFailedExpectationExits1 and writes JUnit with the failure.
func TestFailedExpectationExits1(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "wrong.yaml", `
name: wrong
phases:
  - name: fill
    allocate: {size: 4KiB, until: {bytes: 8MiB}}
expect:
  phases:
    fill: live < 1MiB
`)
	junit := filepath.Join(dir, "junit.xml")
	code, stdout, stderr := memstorm(t, "run", "--quiet", "--junit", junit, "--out", filepath.Join(dir, "run"), sc)
	if code != exitExpectation {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "FAIL fill: live < 1MiB (observed live = 8") {
		t.Errorf("stdout does not show the failed expectation with its observed value:\n%s", stdout)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit is not XML: %v\n%s", err, b)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Failures != 1 || doc.Suites[0].Tests != 2 {
		t.Errorf("junit suites = %+v, want 1 suite with 2 tests and 1 failure", doc.Suites)
	}
}

// TestValidateWithALimit: validate accepts a scenario that needs a limit
// once a flag supplies one, as run does.
func TestValidateWithALimit(t *testing.T) {
	oom := writeFile(t, t.TempDir(), "oom.yaml", "name: oom\nphases:\n  - allocate: {size: 4KiB, until: oom}\n")
	for _, args := range [][]string{{"--limit", "64MiB"}, {"--cgroup", "current"}} {
		code, out, stderr := memstorm(t, append(append([]string{"validate"}, args...), oom)...)
		if code != exitOK || out != oom+": ok (oom, 1 steps)\n" {
			t.Errorf("validate %v: exit %d, %q %q", args, code, out, stderr)
		}
	}
}

func TestValidateBuiltins(t *testing.T) {
	for _, n := range scenarios.Names() {
		code, out, stderr := memstorm(t, "validate", n)
		if code != exitOK || !strings.Contains(out, "ok") {
			t.Errorf("validate %s: exit %d %s %s", n, code, out, stderr)
		}
	}
}

// TestScaleShrinksTargets: --scale multiplies a built-in's byte target, so
// every-other (256 MiB) at 0.03 peaks near 7.7 MiB live.
func TestScaleShrinksTargets(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if code, stdout, stderr := memstorm(t, "run", "--quiet", "--scale", "0.03", "--out", out, "every-other"); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s, err := rundir.ReadSummary(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	scale := 0.03
	want := int64(float64(256<<20) * scale)
	// The fill stops at the first object past the target: at most 4 KiB over.
	if s.PeakLiveBytes < want || s.PeakLiveBytes > want+4096 {
		t.Errorf("peak live %d, want %d to %d", s.PeakLiveBytes, want, want+4096)
	}
}
