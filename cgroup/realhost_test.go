package cgroup

import (
	"errors"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/internal/testenv"
)

// skipOrFail skips a test whose environment is missing, except under CI
// (MEMSTORM_CI=1), where the environment is required and its absence fails.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	testenv.Missing(t, format, args...)
}

// realHost returns the live host, skipping without a memory controller, or,
// when the test creates cgroups (create), without root or where a probe
// child cannot be created and removed (CheckChild).
func realHost(t *testing.T, create bool) *Host {
	t.Helper()
	if create && os.Geteuid() != 0 {
		skipOrFail(t, "needs root to create memory cgroups (euid %d)", os.Geteuid())
	}
	h, err := Detect(DefaultRoots())
	if err != nil {
		skipOrFail(t, "no usable memory cgroup: %v", err)
	}
	if create {
		if err := h.CheckChild(); err != nil {
			skipOrFail(t, "cannot create a child memory cgroup under %s: %v", h.Dir(), err)
		}
	}
	return h
}

var childSeq atomic.Int64

// newTestChild creates a child named for this test process and removes it
// (killing what is left in it) when the test ends, pass or fail.
func newTestChild(t *testing.T, h *Host, s Settings) *Group {
	t.Helper()
	g, err := h.NewChild(ChildName(os.Getpid(), int(childSeq.Add(1))), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Delete(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return g
}

// startBlocked starts argv under sh, held on a read of stdin until release
// is called, so it can be placed in a cgroup before it allocates. The process
// is SIGKILLed by PID at test end if still running, and after limit as a
// watchdog so a test that fails to trigger the mechanism fails instead of hanging.
func startBlocked(t *testing.T, limit time.Duration, argv string) (cmd *exec.Cmd, release func()) {
	t.Helper()
	cmd = exec.Command("/bin/sh", "-c", "read go; exec "+argv)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	watchdog := time.AfterFunc(limit, func() { syscall.Kill(pid, syscall.SIGKILL) })
	t.Cleanup(func() {
		watchdog.Stop()
		if cmd.ProcessState == nil {
			syscall.Kill(pid, syscall.SIGKILL)
			cmd.Wait()
		}
	})
	return cmd, func() {
		if _, err := w.Write([]byte("go\n")); err != nil {
			t.Fatalf("releasing pid %d: %v", pid, err)
		}
		w.Close()
	}
}

func killedBy(err error) (syscall.Signal, bool) {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return 0, false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0, false
	}
	return ws.Signal(), true
}
