package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/units"
	"github.com/memstorm/memstorm/wire"
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

// TestWorkerMarkIsTheWorkers: Cleanup recognises workers by the
// environment entry the supervisor gives them.
func TestWorkerMarkIsTheWorkers(t *testing.T) {
	if want := wire.WorkerEnv + "=1"; WorkerMark != want {
		t.Errorf("WorkerMark %q, but workers start with %q", WorkerMark, want)
	}
}

func TestHasEnv(t *testing.T) {
	for _, tc := range []struct {
		environ string
		want    bool
	}{
		{"PATH=/bin\x00MEMSTORM_WORKER=1\x00HOME=/root\x00", true},
		{"MEMSTORM_WORKER=1", true}, // no trailing NUL
		{"PATH=/bin\x00MEMSTORM_WORKER=10\x00", false},
		{"XMEMSTORM_WORKER=1\x00", false},
		{"MEMSTORM_WORKER=0\x00", false},
		{"", false},
	} {
		got, err := hasEnv(strings.NewReader(tc.environ), WorkerMark)
		if err != nil || got != tc.want {
			t.Errorf("hasEnv(%q) = %v, %v; want %v", tc.environ, got, err, tc.want)
		}
	}
}

// startSleep starts `sleep 1000` as a child of the test, with extra
// environment, ended by PID when the test ends.
func startSleep(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
		}
	})
	return cmd
}

// moveInto writes pid into dir's cgroup.procs.
func moveInto(t *testing.T, dir string, pid int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		t.Fatalf("moving pid %d into %s: %v", pid, dir, err)
	}
}

// removeWhenEmpty removes dir (a cgroup) once the processes the test ended
// have left it.
func removeWhenEmpty(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("cleanup: %v", err)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func leftAlone(c Cleanup, dir string) (string, bool) {
	for _, l := range c.Left {
		if l.Path == dir {
			return l.Why, true
		}
	}
	return "", false
}

// TestCleanupLeavesStrangers: a cgroup named like memstorm's, with a dead
// PID in its name, that memstorm did not make (no ownership record) is
// reported and left, and the process in it lives on.
func TestCleanupLeavesStrangers(t *testing.T) {
	h := realHost(t, true)
	if alive(999999) {
		t.Skip("pid 999999 is alive here")
	}
	dir := filepath.Join(h.Dir(), "memstorm-999999-1")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("making the stranger's cgroup: %v", err)
	}
	t.Cleanup(func() { removeWhenEmpty(t, dir) }) // registered first: runs after the sleep is ended
	sleep := startSleep(t)
	moveInto(t, dir, sleep.Process.Pid)

	c, err := h.Cleanup()
	if err != nil {
		t.Fatal(err)
	}
	why, ok := leftAlone(c, dir)
	if !ok || !strings.HasPrefix(why, "no ownership record in ") {
		t.Errorf("the stranger's %s: left %v (%q), want it listed as having no ownership record; cleanup %+v", dir, ok, why, c)
	}
	for _, r := range c.Removed {
		if r.Path == dir {
			t.Errorf("removed the stranger's %s", dir)
		}
	}
	if err := syscall.Kill(sleep.Process.Pid, 0); err != nil {
		t.Errorf("the stranger's sleep (pid %d) is gone: %v", sleep.Process.Pid, err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the stranger's cgroup is gone: %v", err)
	}
}

const helperEnv = "MEMSTORM_CGROUP_TEST_HELPER"

// TestHelperStaleCreator is the supervisor TestCleanupRemovesStaleChild
// kills: it makes a child through NewChild, moves the pid it is given in,
// prints the child's path and waits to be SIGKILLed.
func TestHelperStaleCreator(t *testing.T) {
	pidText := os.Getenv(helperEnv)
	if pidText == "" {
		t.Skip("run by TestCleanupRemovesStaleChild")
	}
	pid, _ := strconv.Atoi(pidText)
	h, err := Detect(DefaultRoots())
	if err != nil {
		t.Fatal(err)
	}
	g, err := h.NewChild(ChildName(os.Getpid(), 1), Settings{Max: units.BytesLimit(32 << 20), High: units.Unlimited, Swap: units.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.AddProc(pid); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("child %s\n", g.Path())
	time.Sleep(time.Minute) // SIGKILLed long before
}

// TestCleanupRemovesStaleChild: a child made through NewChild by a
// supervisor that was then SIGKILLed, holding a worker, is removed with its
// ownership record, and the worker is killed; a live process's child, and a
// cgroup of the same name made after a record's, are left.
func TestCleanupRemovesStaleChild(t *testing.T) {
	h := realHost(t, true)
	worker := startSleep(t, WorkerMark)
	sup := exec.Command(os.Args[0], "-test.run=^TestHelperStaleCreator$")
	sup.Env = append(os.Environ(), helperEnv+"="+strconv.Itoa(worker.Process.Pid))
	out, err := sup.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	sup.Stderr = os.Stderr
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	syscall.Kill(sup.Process.Pid, syscall.SIGKILL)
	sup.Wait()
	dir, ok := strings.CutPrefix(strings.TrimSpace(line), "child ")
	if err != nil || !ok {
		t.Fatalf("the supervisor said %q (%v)", line, err)
	}
	t.Cleanup(func() { // after a failure: remove what is left
		if g, err := h.loadChild(filepath.Base(dir)); err == nil {
			g.Delete()
		}
		recs, _, _ := ownerRecords(h.OwnerDir())
		for _, r := range recs {
			if r.Cgroup == dir {
				os.Remove(r.file)
			}
		}
	})
	live := newTestChild(t, h, Settings{Max: units.Unlimited, High: units.Unlimited, Swap: units.Unlimited})

	c, err := h.Cleanup()
	if err != nil {
		t.Fatal(err)
	}
	var removed *RemovedChild
	for i := range c.Removed {
		if c.Removed[i].Path == dir {
			removed = &c.Removed[i]
		}
	}
	if removed == nil || removed.CreatorPID != sup.Process.Pid || len(removed.Killed) != 1 || removed.Killed[0] != worker.Process.Pid {
		t.Fatalf("cleanup %+v: want %s removed, made by pid %d, worker %d killed", c, dir, sup.Process.Pid, worker.Process.Pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale %s still there: %v", dir, err)
	}
	if sig, ok := killedBy(worker.Wait()); !ok || sig != syscall.SIGKILL {
		t.Errorf("the worker in the stale child was not SIGKILLed")
	}
	recs, _, _ := ownerRecords(h.OwnerDir())
	for _, r := range recs {
		if r.Cgroup == dir {
			t.Errorf("ownership record %s of the removed child is left", r.file)
		}
	}
	if why, ok := leftAlone(c, live.Path()); !ok || !strings.Contains(why, fmt.Sprintf("memstorm pid %d, which made it, is running", os.Getpid())) {
		t.Errorf("the live child %s: left %v (%q), want it listed as in use", live.Path(), ok, why)
	}
	if _, err := os.Stat(live.Path()); err != nil {
		t.Errorf("the live child was removed: %v", err)
	}

	// A record names one cgroup, not a name: remove the live child's
	// directory behind its back and make another of the same name.
	if err := os.Remove(live.Path()); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(live.Path(), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err = h.Cleanup()
	if err != nil {
		t.Fatal(err)
	}
	if why, ok := leftAlone(c, live.Path()); !ok || !strings.Contains(why, "is of another cgroup") {
		t.Errorf("a cgroup made under a recorded name: left %v (%q), want it listed as not memstorm's", ok, why)
	}
}

// TestNewChildRecordsOwner: NewChild writes the record naming the child's
// directory, its inode and this process; Delete removes it.
func TestNewChildRecordsOwner(t *testing.T) {
	h := realHost(t, true)
	g := newTestChild(t, h, Settings{Max: units.Unlimited, High: units.Unlimited, Swap: units.Unlimited})
	rec, err := readOwnerRecord(g.owner)
	if err != nil {
		t.Fatal(err)
	}
	ino, _ := dirInode(g.Path())
	self, _ := procfs.DefaultFS.Self().Stat()
	if rec.Cgroup != g.Path() || rec.Inode != ino || rec.PID != os.Getpid() || rec.StartTicks != self.StartTimeTicks {
		t.Errorf("record %+v, want %s, inode %d, pid %d started at %d", rec, g.Path(), ino, os.Getpid(), self.StartTimeTicks)
	}
	if !creatorAlive(procfs.DefaultFS, rec) {
		t.Error("this process does not count as the record's live creator")
	}
	if other := (ownerRecord{PID: os.Getpid(), StartTicks: rec.StartTicks + 1}); creatorAlive(procfs.DefaultFS, other) {
		t.Error("a record of an earlier process with this pid counts as alive")
	}
	file := g.owner
	if err := g.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete left the record %s: %v", file, err)
	}
}
