package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
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
	if os.Getenv(cliEnv) == "1" && !wire.IsWorker() {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Exit(run(args, os.Stdout, os.Stderr))
	}
	testenv.RunWithWorkers(m, wire.IsWorker, worker.Main, wire.WorkerExeEnv)
}

// cliCommand is memstorm ARGS... as a process of its own.
func cliCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	return cmd
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
		{"align to no phase", []string{"run", "--align", "nope", ok, ok}, "--align \"nope\": no run has a phase"},
		{"swap without a limit", []string{"run", "--swap", "1MiB", ok}, "needs a hard limit"},
		{"cgroup none drops the limit", []string{"run", "--cgroup", "none", "oom-at-limit"}, "--cgroup none: the limit"},
		{"cgroup none, dry run", []string{"run", "--dry-run", "--cgroup", "none", "oom-at-limit"}, "not enforced"},
		{"a limit beyond the host", []string{"run", "--limit", "1TiB", "oom-at-limit"}, "--risk-host-oom"},
		{"allocator library without malloc", []string{"run", "--allocator", "/lib/x86_64-linux-gnu/libz.so.1", ok}, "does not define malloc"},
		{"allocator that is a text file", []string{"run", "--allocator", ok, ok}, "not an ELF shared object"},
		{"allocator that is a device", []string{"run", "--allocator", "/dev/zero", ok}, "not a regular file"},
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
	// What run refuses, validate refuses: a limit no cgroup enforces, and
	// an rlimit where an OOM kill is the stop condition.
	rl := writeFile(t, t.TempDir(), "rl.yaml", "name: rl\nrlimits: {data: 64MiB}\nphases:\n  - allocate: {size: 4KiB, until: oom}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cgroup", "none", "--limit", "64MiB", oom}, "needs a memory limit: add limit: {max: SIZE} to the file, or run it with --limit SIZE (or --cgroup current inside a container whose memory is limited) (--cgroup none: the limit 64MiB is not enforced)"},
		{[]string{rl}, "rl.yaml:4:35: phases[0].allocate.until: it allocates until an OOM kill, so it needs a memory limit"},
	} {
		code, out, stderr := memstorm(t, append([]string{"validate"}, tc.args...)...)
		if code != exitUsage || out != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("validate %v: exit %d, %q %q; want exit 2 saying %q", tc.args, code, out, stderr, tc.want)
		}
		runArgs := append([]string{"run", "--dry-run"}, tc.args...)
		if code, _, stderr := memstorm(t, runArgs...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 saying %q", runArgs, code, stderr, tc.want)
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
	// The run is reproducible from its directory: how it was asked for,
	// and the scenario as it ran (scaled), with the original beside it.
	inv := s.Invocation
	if inv.Scale != scale || inv.Version == "" || !contains(inv.Command, "--scale") || !contains(inv.Command, "every-other") {
		t.Errorf("invocation %+v: want the command line, scale %v and a version", inv, scale)
	}
	ran, err := scenarios.Load(filepath.Join(out, rundir.ScenarioFile))
	if err != nil {
		t.Fatal(err)
	}
	if b := int64(ran.Phases[0].Allocate.Until.Bytes); b != want {
		t.Errorf("scenario.yaml's fill target is %d bytes, want the scaled %d", b, want)
	}
	orig, err := scenarios.Load(filepath.Join(out, rundir.OriginalScenarioFile))
	if err != nil {
		t.Fatal(err)
	}
	if b := orig.Phases[0].Allocate.Until.Bytes; b != 256<<20 {
		t.Errorf("%s's fill target is %v, want the original 256MiB", rundir.OriginalScenarioFile, b)
	}
}

// TestEveryRunHasItsOwnDirectory: the same scenario twice, or two
// allocators of the same name, never share (and overwrite) a run directory.
func TestEveryRunHasItsOwnDirectory(t *testing.T) {
	dir := t.TempDir()
	ok := writeFile(t, dir, "ok.yaml", "name: ok\nphases:\n  - allocate: {size: 4KiB, until: {bytes: 1MiB}}\n")
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"run", "--dry-run", "--out", out, ok, ok},
		{"run", "--dry-run", "--out", out, "--allocator", "glibc,glibc", ok},
	} {
		code, stdout, stderr := memstorm(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		seen := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			_, d, _ := strings.Cut(line, " into ")
			if seen[d] {
				t.Errorf("%v: two runs into %s:\n%s", args, d, stdout)
			}
			seen[d] = true
		}
		if len(seen) != 2 {
			t.Errorf("%v: want 2 runs, got:\n%s", args, stdout)
		}
	}
}

// TestSignalExitCodes: a run interrupted by Ctrl-C exits 130 and one ended
// by SIGTERM 143 (128 + the signal), as shells and CI expect, and the run
// is still recorded as interrupted, with its report.
func TestSignalExitCodes(t *testing.T) {
	testmemcg.RequireChildren(t)
	dir := t.TempDir()
	long := writeFile(t, dir, "long.yaml", "name: long\nlimit: {max: 64MiB}\nphases:\n  - name: fill\n    allocate: {size: 4KiB, until: {bytes: 4MiB}}\n  - name: hold\n    hold: 60s\n")
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			cmd := cliCommand("run", "--out", out, long)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			// Wait until the worker holds its memory: the run is under way.
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				if b, _ := os.ReadFile(filepath.Join(out, rundir.EventsFile)); strings.Contains(string(b), `"phase":"hold"`) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			_ = cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("exit %d (%v), want %d", code, err, tc.code)
			}
			sum, err := rundir.ReadSummary(filepath.Join(out, rundir.SummaryFile))
			if err != nil {
				t.Fatal(err)
			}
			if sum.Outcome != rundir.OutcomeInterrupted {
				t.Errorf("outcome %s, want interrupted", sum.Outcome)
			}
			if _, err := os.Stat(filepath.Join(out, rundir.ReportFile)); err != nil {
				t.Errorf("no report: %v", err)
			}
		})
	}
}
