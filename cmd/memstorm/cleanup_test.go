package main

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/internal/testenv"
)

// TestCleanupLeavesAStrangersCgroup: `memstorm cleanup` does not touch a
// cgroup it did not make, even one named memstorm-<dead pid>-<n>: it says
// so, and the process in it lives on.
func TestCleanupLeavesAStrangersCgroup(t *testing.T) {
	testenv.RequireRoot(t)
	h, err := cgroup.Detect(cgroup.DefaultRoots())
	if err != nil {
		testenv.Missing(t, "no memory cgroup: %v", err)
	}
	if syscall.Kill(999999, 0) == nil {
		t.Skip("pid 999999 is alive here")
	}
	dir := filepath.Join(h.Dir(), "memstorm-999999-2") // -1 is the cgroup package test's: packages test in parallel
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("making the stranger's cgroup: %v", err)
	}
	t.Cleanup(func() { // after the sleep is ended (cleanups run last first)
		deadline := time.Now().Add(10 * time.Second)
		for err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist); err = os.Remove(dir) {
			if time.Now().After(deadline) {
				t.Errorf("removing %s: %v", dir, err)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	pid := sleep.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		sleep.Wait()
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := memstorm(t, "cleanup")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := "left alone " + dir + ": no ownership record in /run/memstorm/cgroups: not made by memstorm"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("the stranger's sleep (pid %d) was killed: %v", pid, err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the stranger's cgroup was removed: %v", err)
	}
}
