package main

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/scenarios"
)

// TestHelp: memstorm help, -h and --help print the overview to stdout and
// exit 0; it names every command.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, stdout, stderr := memstorm(t, args...)
		if code != exitOK || stdout != usageText() || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout\n%s", args, code, stderr, stdout)
		}
	}
	for _, c := range commands {
		if !strings.Contains(usageText(), "\n  memstorm "+c.name) {
			t.Errorf("the overview does not show %s", c.name)
		}
	}
	if code, _, stderr := memstorm(t); code != exitUsage || !strings.HasPrefix(stderr, "memstorm: allocation stress") {
		t.Errorf("no arguments: exit %d, stderr %q; want 2 and the overview", code, stderr)
	}
}

// TestCommandHelp: memstorm help CMD and CMD -h print the same help to
// stdout: the usage line, the summary, and the flags with the names of
// their values, without an empty Flags: header.
func TestCommandHelp(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want string // the whole help, or "" to check only wants
		has  []string
	}{
		{cmd: "compare", want: `Usage: memstorm compare [flags] RUNDIR...

Compare recorded runs side by side.

Flags:
  --align PHASE
        align the runs at the start of PHASE (default: at their start)
  --out DIR
        DIR for compare.html, compare.json, matrix.md and the figures (default "compare")
`},
		{cmd: "cleanup", want: "Usage: memstorm cleanup\n\nRemove cgroups left behind by killed memstorm processes.\n"},
		{cmd: "show", want: "Usage: memstorm show NAME\n\nPrint a built-in scenario's YAML.\n"},
		{cmd: "sysinfo", has: []string{"Usage: memstorm sysinfo [--json]\n", "  --json\n        print JSON\n"}},
		{cmd: "run", has: []string{"Usage: memstorm run [flags] SCENARIO...\n", "\n  --limit SIZE\n", "\n  --out DIR\n",
			"\n  --allocator NAME\n", "\n  --cgroup MODE\n", "\n  --scale FACTOR\n", "(default 1)\n", "(default \"auto\")\n", "\n  --quiet\n"}},
		{cmd: "bench", has: []string{"\n  --reps N\n", "(default 5)\n"}},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			var first string
			for _, args := range [][]string{{"help", tc.cmd}, {tc.cmd, "-h"}, {tc.cmd, "--help"}} {
				code, stdout, stderr := memstorm(t, args...)
				if code != exitOK || stderr != "" {
					t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
				}
				if first == "" {
					first = stdout
				} else if stdout != first {
					t.Errorf("%v prints\n%s\nbut help %s prints\n%s", args, stdout, tc.cmd, first)
				}
			}
			if tc.want != "" && first != tc.want {
				t.Errorf("help %s:\n%s\nwant\n%s", tc.cmd, first, tc.want)
			}
			for _, h := range tc.has {
				if !strings.Contains(first, h) {
					t.Errorf("help %s lacks %q:\n%s", tc.cmd, h, first)
				}
			}
			for _, bad := range []string{" string\n", " float\n", "\n  -a", "\n  -o", "\n  -j", "Flags:\n\n", "Flags:\n$"} {
				if strings.Contains(first+"$", bad) {
					t.Errorf("help %s holds %q:\n%s", tc.cmd, bad, first)
				}
			}
		})
	}
	if code, _, stderr := memstorm(t, "help", "nosuch"); code != exitUsage || !strings.HasPrefix(stderr, `memstorm help: unknown command "nosuch"`) {
		t.Errorf("help nosuch: exit %d, stderr %q", code, stderr)
	}
}

// TestFlagErrorIsOneLine: a bad flag is one line on stderr, exit 2, no
// help dumped.
func TestFlagErrorIsOneLine(t *testing.T) {
	code, stdout, stderr := memstorm(t, "compare", "--frobnicate", "a", "b")
	want := "memstorm compare: flag provided but not defined: -frobnicate (memstorm help compare lists the flags)\n"
	if code != exitUsage || stderr != want || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, stdout, stderr, want)
	}
}

func TestVersion(t *testing.T) {
	_, a, _ := memstorm(t, "--version")
	code, b, stderr := memstorm(t, "version")
	if code != exitOK || a != b || !strings.HasPrefix(b, "memstorm ") || stderr != "" {
		t.Errorf("version: exit %d, %q; --version: %q", code, b, a)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/memstorm/memstorm", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
			{Key: "vcs.revision", Value: "26f11c9ab"}, {Key: "vcs.time", Value: "2025-06-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	want := "memstorm v1.2.3\nrevision 26f11c9ab, committed 2025-06-01T10:00:00Z, with uncommitted changes\nbuilt with go1.26.8 for linux/amd64\n"
	if got := versionText(bi); got != want {
		t.Errorf("versionText:\n%s\nwant\n%s", got, want)
	}
	bi.Main.Version, bi.Settings = "", nil
	if got, want := versionText(bi), "memstorm (devel)\nbuilt with go1.26.8\n"; got != want {
		t.Errorf("versionText without VCS:\n%q\nwant %q", got, want)
	}
}

func TestShow(t *testing.T) {
	want, err := scenarios.Read("every-other")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := memstorm(t, "show", "every-other")
	if code != exitOK || stdout != string(want) {
		t.Errorf("show every-other: exit %d\n%s", code, stdout)
	}
	code, _, stderr := memstorm(t, "show", "no-such")
	if code != exitUsage || !strings.Contains(stderr, `no built-in scenario "no-such"`) {
		t.Errorf("show no-such: exit %d, %q", code, stderr)
	}
}

// TestListGroups: every built-in once, under its use, with whether it
// needs a limit.
func TestListGroups(t *testing.T) {
	code, out, _ := memstorm(t, "list")
	if code != exitOK {
		t.Fatalf("list exit %d", code)
	}
	frag := strings.Index(out, "Fragmentation: ")
	limits := strings.Index(out, "\nContainer limits: ")
	sre := strings.Index(out, "\nSRE checks: ")
	if frag != 0 || limits < 0 || sre < limits {
		t.Fatalf("list has no Fragmentation / Container limits / SRE checks groups:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	for _, n := range scenarios.Names() {
		sc, err := scenarios.Load(n)
		if err != nil {
			t.Fatal(err)
		}
		var line string
		count := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "  "+n+" ") {
				line, count = l, count+1
			}
		}
		if count != 1 {
			t.Errorf("%s listed %d times", n, count)
			continue
		}
		at := strings.Index(out, line)
		if inSRE := at > sre; inSRE != scenarios.IsSRECheck(n) {
			t.Errorf("%s under SRE checks: %v, want %v", n, inSRE, !inSRE)
		}
		inLimits := at > limits
		wantLimits := sc.NeedsLimit() || sc.Limit != nil || sc.Rlimits != nil
		if inLimits != wantLimits {
			t.Errorf("%s under container limits: %v, want %v", n, inLimits, wantLimits)
		}
		if needs := strings.Contains(line, "needs"); needs != sc.NeedsLimit() {
			t.Errorf("%s: line %q says needs a limit %v, NeedsLimit %v", n, line, needs, sc.NeedsLimit())
		}
	}
	for _, want := range []string{"oom-at-limit             needs a limit: has 256MiB", "every-other "} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}
