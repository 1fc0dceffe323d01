package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/units"
)

func TestStalePID(t *testing.T) {
	for name, want := range map[string]int{"memstorm-123-4": 123, "memstorm-1-x": 1,
		"memstorm-123": 0, "memstorm--4": 0, "memstorm-0-1": 0, "other-12-1": 0, "memstorm-a-1": 0} {
		got, ok := stalePID(name)
		if ok != (want != 0) || got != want {
			t.Errorf("stalePID(%q) = %d, %v; want %d", name, got, ok, want)
		}
	}
	if got, ok := stalePID(ChildName(4242, 7)); !ok || got != 4242 {
		t.Errorf("ChildName round trip: %d %v", got, ok)
	}
}

func TestCleanupStale(t *testing.T) {
	h := realHost(t, true)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := dead.Process.Pid
	if alive(deadPID) {
		t.Skipf("pid %d reused already", deadPID)
	}
	stale, err := h.NewChild(ChildName(deadPID, 0), Settings{Max: units.BytesLimit(32 << 20), High: units.Unlimited, Swap: units.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stale.Delete(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	stale.Close()
	cmd, release := startBlocked(t, 2*time.Minute, "sleep 1000")
	if err := stale.AddProc(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	release()
	live := newTestChild(t, h, Settings{Max: units.Unlimited, High: units.Unlimited, Swap: units.Unlimited})

	n, err := h.CleanupStale()
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 {
		t.Errorf("CleanupStale removed %d, want at least the child of dead pid %d", n, deadPID)
	}
	if _, err := os.Stat(stale.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale %s still there: %v", stale.Path(), err)
	}
	if sig, ok := killedBy(cmd.Wait()); !ok || sig != syscall.SIGKILL {
		t.Errorf("process in stale child not SIGKILLed")
	}
	if _, err := os.Stat(live.Path()); err != nil {
		t.Errorf("child of the live test process removed: %v", err)
	}
}

// TestProcessStartOfSelf: this process started before now and after boot,
// and a directory made now is younger than it, so it counts as alive.
func TestProcessStartOfSelf(t *testing.T) {
	start, ok := processStart(procfs.DefaultFS, os.Getpid())
	if !ok {
		t.Fatal("cannot read this process's start time")
	}
	now := time.Now().Unix()
	if start > now || start < now-24*3600*365 {
		t.Fatalf("start %d not within a year before now %d", start, now)
	}
	if !aliveSince(procfs.DefaultFS, os.Getpid(), t.TempDir()) {
		t.Error("this process does not count as alive for a directory made after it started")
	}
}
