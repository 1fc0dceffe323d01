package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/internal/testenv"
)

// memstormBinary builds ./cmd/memstorm into a test directory: the
// binary under test for start-up is the real memstorm, whose package
// initialisation is main's, not this test binary's.
func memstormBinary(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "memstorm")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("building memstorm: %v\n%s", err, out)
	}
	return exe
}

// termOffsets are the delays after start at which the tests send SIGTERM:
// from the dynamic loader and package initialisation to a run under way.
var termOffsets = []time.Duration{1 * time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}

// holdScenario holds 1 MiB for 3 s: a run still going at every offset.
const holdScenario = `name: hold
phases:
  - allocate: {size: 4KiB, until: {bytes: 1MiB}}
  - hold: 3s
`

// endedBy describes how a process ended: "exit N" or "signal NAME".
func endedBy(ps *os.ProcessState) string {
	ws := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return "signal " + ws.Signal().String()
	}
	return "exit " + strconv.Itoa(ws.ExitStatus())
}

// TestTerminatedFromTheStart: memstorm sent SIGTERM at any moment from its
// first millisecond ends as a shell counts 143: exit status 143, or, in
// the first instants before the Go runtime or main runs, death by the
// signal itself (the kernel's default). Never 2, memstorm's bad-usage
// code, which the Go runtime gave before main asked for the signal.
func TestTerminatedFromTheStart(t *testing.T) {
	testenv.SkipUnderRace(t)
	exe := memstormBinary(t)
	scen := writeFile(t, t.TempDir(), "hold.yaml", holdScenario)
	for _, off := range termOffsets {
		out := filepath.Join(t.TempDir(), "run")
		cmd := exec.Command(exe, "run", "--cgroup", "none", "--quiet", "--out", out, scen)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(off)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		got := endedBy(cmd.ProcessState)
		if got != "exit 143" && got != "signal terminated" {
			t.Errorf("SIGTERM %v after start: %s, want exit 143 (or death by SIGTERM); stderr:\n%s", off, got, stderr.String())
		}
		if got == "exit 143" && stderr.Len() > 0 && !strings.Contains(stderr.String(), "SIGTERM") && !strings.Contains(stderr.String(), "terminated") {
			t.Errorf("SIGTERM %v after start: exit 143 with a line that does not say why: %s", off, stderr.String())
		}
		t.Logf("SIGTERM %v after start: %s", off, got)
	}
}

// TestTerminatedAsPID1: memstorm as the init of a PID namespace (as in a
// container started without an init), sent SIGTERM from outside at every
// offset after its init exists, exits 143; the init (package pid1)
// forwards the signal and reports the status. Needs root for the
// namespace (unshare --pid --fork --mount-proc, so that /proc is the
// namespace's as in a container).
func TestTerminatedAsPID1(t *testing.T) {
	testenv.SkipUnderRace(t)
	testenv.RequireRoot(t)
	unshare := testenv.RequireCommand(t, "unshare", "util-linux")
	exe := memstormBinary(t)
	scen := writeFile(t, t.TempDir(), "hold.yaml", holdScenario)
	for _, off := range termOffsets {
		out := filepath.Join(t.TempDir(), "run")
		cmd := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "--kill-child", exe, "run", "--cgroup", "none", "--quiet", "--out", out, scen)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		init, err := waitForInit(cmd.Process.Pid, exe, 10*time.Second)
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatal(err)
		}
		time.Sleep(off)
		if err := syscall.Kill(init, syscall.SIGTERM); err != nil {
			t.Fatalf("signalling the namespace's init %d: %v", init, err)
		}
		_ = cmd.Wait()
		if got := endedBy(cmd.ProcessState); got != "exit 143" {
			t.Errorf("SIGTERM %v after the init started: %s, want exit 143; stderr:\n%s", off, got, stderr.String())
		} else {
			t.Logf("SIGTERM %v after the init started: %s", off, got)
		}
	}
}

// waitForInit returns the host PID of memstorm as the namespace's init
// (unshare's child, running exe) once it has forked memstorm proper: from
// then on the init handles signals.
func waitForInit(unsharePID int, exe string, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	childrenOf := func(pid int) []string {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
		return strings.Fields(string(b))
	}
	for time.Now().Before(deadline) {
		for _, c := range childrenOf(unsharePID) {
			pid, _ := strconv.Atoi(c)
			if target, _ := os.Readlink("/proc/" + c + "/exe"); target == exe && len(childrenOf(pid)) > 0 {
				return pid, nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	return 0, errors.New("memstorm did not start as the init of its PID namespace within " + limit.String())
}
