package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/scenarios"
)

// The promise to bad input: one clear error naming the file (FILE:LINE:COL
// where the problem has a place), exit 2, in under a second of CPU and
// under 100 MiB of memory. The tests run memstorm as a child process of
// the test binary (cliCommand) and read its user+sys CPU time and peak
// RSS from its rusage: the machine may be shared, so CPU time is the
// measure, and wall time only catches a child that blocks (a FIFO read
// forever).
const (
	maxBadCPU   = time.Second
	maxBadRSS   = 100 << 20
	maxBadWall  = 20 * time.Second
	fixturesDir = "../../scenarios/testdata/scenarios"
)

// childResult is what one memstorm child did.
type childResult struct {
	code           int
	stdout, stderr string
	cpu, wall      time.Duration
	maxRSS         int64 // bytes
}

// runChild runs memstorm with args in a child process.
func runChild(t *testing.T, args ...string) childResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), maxBadWall)
	defer cancel()
	cli := cliCommand(args...)
	cmd := exec.CommandContext(ctx, cli.Path, cli.Args[1:]...)
	cmd.Env = cli.Env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	peak, err := testenv.MeasurePeakRSS(cmd)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = cmd.Run()
	r := childResult{stdout: o.String(), stderr: e.String(), wall: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("memstorm %q still ran after %v", args, maxBadWall)
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("memstorm %q: %v", args, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.code = cmd.ProcessState.ExitCode()
	r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if r.maxRSS, err = peak(); err != nil {
		t.Fatal(err)
	}
	return r
}

// badInput is one input with what its error must say.
type badInput struct {
	name string
	path string
	want string // a fragment of the message
	// placed: the error names a line and column (not only the file)
	placed bool
}

// badCorpus lists every bad-*.yaml fixture of package scenarios (each with
// its exact message in scenarios' decode_test.go) and the inputs too big or
// too odd for a fixture, made here: devices, a FIFO, a directory, a huge
// file, and files of just under MaxFileSize built to cost the YAML parser
// or the decoder as much as memstorm lets them.
func badCorpus(t *testing.T) []badInput {
	t.Helper()
	var out []badInput
	files, err := filepath.Glob(filepath.Join(fixturesDir, "bad-*.yaml"))
	if err != nil || len(files) < 60 {
		t.Fatalf("found %d bad fixtures in %s (%v)", len(files), fixturesDir, err)
	}
	for _, f := range files {
		out = append(out, badInput{name: filepath.Base(f), path: f, placed: true})
	}
	out = append(out, badInput{"needs a limit", filepath.Join(fixturesDir, "needs-limit-oom.yaml"), "needs a memory limit", true})

	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, []byte("phases: [{hold: 1s}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 100<<20); err != nil { // sparse: nothing written
		t.Fatal(err)
	}
	out = append(out,
		badInput{"/dev/zero", "/dev/zero", "want a regular file holding a scenario, got a character device", false},
		badInput{"/dev/urandom", "/dev/urandom", "got a character device", false},
		badInput{"FIFO", fifo, "got a FIFO (named pipe)", false},
		badInput{"directory", dir, "got a directory", false},
		badInput{"100 MB file", huge, "want a scenario file of at most 128KiB, got 100 MiB", false},
	)

	const size = scenarios.MaxFileSize - 2<<10 // just under it
	gen := func(name, text, want string) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, badInput{name, p, want, true})
	}
	gen("deep-flow-seq.yaml", "phases: "+strings.Repeat("[", size/2)+strings.Repeat("]", size/2)+"\n", "nested at most 64 deep")
	gen("deep-flow-map.yaml", "phases: "+strings.Repeat("{a: ", size/8)+"1"+strings.Repeat("}", size/8)+"\n", "nested at most 64 deep")
	gen("deep-dashes.yaml", "phases:\n"+strings.Repeat("- ", size/2)+"hold: 1s\n", "nested at most 64 deep")
	var indent strings.Builder
	for i := 0; indent.Len() < size-800; i++ {
		fmt.Fprintf(&indent, "%sa:\n", strings.Repeat(" ", i))
	}
	gen("deep-indent.yaml", indent.String(), "nested at most 64 deep")
	gen("many-tokens.yaml", "allocators: ["+strings.Repeat("a,", size/2-20)+"a]\n", "want at most 32768 YAML tokens")
	gen("many-comments.yaml", strings.Repeat("#\n", size/2), "want at most 32768 YAML tokens")
	var keys strings.Builder
	for i := 0; keys.Len() < size-20; i++ {
		fmt.Fprintf(&keys, "  K%d: 1\n", i)
	}
	gen("many-keys.yaml", "env:\n"+keys.String(), "want at most 1024 keys in a mapping")
	gen("many-documents.yaml", strings.Repeat("---\na: 1\n", 8000), "want one YAML document, got more than 16") // 32000 tokens
	// Just under the token bound, parsed and decoded in full, refused at
	// the end: the most a file can cost and still be read to its end.
	gen("wide-then-wrong.yaml", "phases:\n"+strings.Repeat("  - {hold: 1ms}\n", 32700/6)+"bogus: 1\n", `unknown key "bogus"`)
	var bomb strings.Builder
	bomb.WriteString("phases:\n  - &a0 {hold: 1ms}\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&bomb, "  - &a%d {phases: [%s]}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 20), ", "))
	}
	gen("alias-bomb-20x30.yaml", bomb.String(), "want at most 65536 values once aliases are expanded")
	gen("invalid-utf8-at-end.yaml", "description: |\n"+strings.Repeat("  aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", size/32)+"  \xff\nphases: [{hold: 1s}]\n", "not UTF-8")
	gen("long-scalar.yaml", "description: "+strings.Repeat("x", size)+"\nphases: [{hold: 1s}]\nbogus: 1\n", `unknown key "bogus"`)
	return out
}

// TestBadInputIsRefusedQuickly runs memstorm validate on every bad input,
// and memstorm run on the generated ones, and holds each to the promise.
func TestBadInputIsRefusedQuickly(t *testing.T) {
	testenv.SkipUnderRace(t)
	if testing.Short() {
		t.Skip("runs memstorm a hundred times")
	}
	var worstCPU, worstRSS childResult
	var worstCPUName, worstRSSName string
	for _, in := range badCorpus(t) {
		cmds := [][]string{{"validate", in.path}}
		if !strings.HasPrefix(in.name, "bad-") {
			cmds = append(cmds, []string{"run", "--out", filepath.Join(t.TempDir(), "out"), in.path})
		}
		for _, args := range cmds {
			t.Run(args[0]+"/"+in.name, func(t *testing.T) {
				r := runChild(t, args...)
				if r.code != exitUsage {
					t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitUsage, r.stdout, r.stderr)
				}
				msg := strings.TrimPrefix(r.stderr, "memstorm run: ")
				place := ""
				if in.placed {
					place = `:\d+:\d+`
				}
				if !regexp.MustCompile(`^` + regexp.QuoteMeta(in.path) + place + `: \S.*\n$`).MatchString(msg) {
					t.Errorf("stderr is not one line naming %s%s:\n%s", in.path, place, r.stderr)
				}
				if !strings.Contains(msg, in.want) {
					t.Errorf("stderr does not say %q:\n%s", in.want, r.stderr)
				}
				if r.cpu > maxBadCPU || r.maxRSS > maxBadRSS {
					t.Errorf("took %v of CPU (%v wall) and %d MiB, want under %v and %d MiB", r.cpu, r.wall, r.maxRSS>>20, maxBadCPU, maxBadRSS>>20)
				}
				if args[0] == "run" {
					if _, err := os.Stat(args[2]); !os.IsNotExist(err) {
						t.Errorf("bad input left %s behind", args[2])
					}
				}
				t.Logf("%v CPU, %v wall, %.1f MiB", r.cpu, r.wall, float64(r.maxRSS)/(1<<20))
				if r.cpu > worstCPU.cpu {
					worstCPU, worstCPUName = r, strings.Join(args, " ")
				}
				if r.maxRSS > worstRSS.maxRSS {
					worstRSS, worstRSSName = r, strings.Join(args, " ")
				}
			})
		}
	}
	t.Logf("most CPU: %v (%v wall) for memstorm %s", worstCPU.cpu, worstCPU.wall, worstCPUName)
	t.Logf("most memory: %.1f MiB for memstorm %s", float64(worstRSS.maxRSS)/(1<<20), worstRSSName)
}
