package cgroup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// ownV2Path is the cgroup v2 path of process pid ("0::<path>").
func ownV2Path(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return p
		}
	}
	t.Fatalf("/proc/%d/cgroup has no 0:: line:\n%s", pid, b)
	return ""
}

// TestChildMovesProcessesIntoALeaf: on cgroup v2, in a non-root cgroup
// that holds processes and gives no memory to children (a systemd service,
// a container), NewChild moves the cgroup's processes (this one and a
// sleep it started) into SupervisorLeaf, enables memory and creates the
// child beside the leaf; Delete moves them back, disables memory and
// removes the leaf. The VM stage (test/vm) runs it from such a cgroup.
func TestChildMovesProcessesIntoALeaf(t *testing.T) {
	h := realHost(t, true)
	control := filepath.Join(h.Dir(), "cgroup.subtree_control")
	if h.Version() != 2 || isRootV2(h.Dir()) {
		t.Skipf("memstorm's own cgroup %s is not a non-root cgroup v2 one", h.Dir())
	}
	if on, err := controllerEnabled(control, "memory"); err != nil || on {
		t.Skipf("%s lists memory already (%v): nothing to move", control, err)
	}
	own := ownV2Path(t, os.Getpid())
	sleep := exec.Command("sleep", "600")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(sleep.Process.Pid, syscall.SIGKILL); sleep.Wait() })

	g := newTestChild(t, h, Settings{})
	leaf := filepath.Join(own, SupervisorLeaf)
	for _, pid := range []int{os.Getpid(), sleep.Process.Pid} {
		if got := ownV2Path(t, pid); got != leaf {
			t.Errorf("pid %d in %s while the child exists, want %s", pid, got, leaf)
		}
	}
	if on, err := controllerEnabled(control, "memory"); err != nil || !on {
		t.Errorf("%s: memory enabled %v (%v), want true", control, on, err)
	}
	if filepath.Dir(g.Path()) != h.Dir() {
		t.Errorf("child %s is not beside the leaf in %s", g.Path(), h.Dir())
	}
	if _, err := os.Stat(filepath.Join(g.Path(), "memory.max")); err != nil {
		t.Errorf("the child has no memory controller: %v", err)
	}

	if err := g.Delete(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{os.Getpid(), sleep.Process.Pid} {
		if got := ownV2Path(t, pid); got != own {
			t.Errorf("pid %d in %s after Delete, want it back in %s", pid, got, own)
		}
	}
	if on, err := controllerEnabled(control, "memory"); err != nil || on {
		t.Errorf("%s: memory enabled %v (%v) after Delete, want false", control, on, err)
	}
	if _, err := os.Stat(filepath.Join(h.Dir(), SupervisorLeaf)); !os.IsNotExist(err) {
		t.Errorf("the leaf is still there after Delete: %v", err)
	}
}

// TestLeafStaysWhileAChildDoes: with two children (two runs in one
// cgroup), deleting the first leaves the processes in the leaf and memory
// enabled, since the second still needs them; deleting the last restores.
func TestLeafStaysWhileAChildDoes(t *testing.T) {
	h := realHost(t, true)
	control := filepath.Join(h.Dir(), "cgroup.subtree_control")
	if h.Version() != 2 || isRootV2(h.Dir()) {
		t.Skipf("memstorm's own cgroup %s is not a non-root cgroup v2 one", h.Dir())
	}
	if on, err := controllerEnabled(control, "memory"); err != nil || on {
		t.Skipf("%s lists memory already (%v): nothing to move", control, err)
	}
	own := ownV2Path(t, os.Getpid())
	leaf := filepath.Join(own, SupervisorLeaf)
	a := newTestChild(t, h, Settings{})
	b := newTestChild(t, h, Settings{})
	if err := a.Delete(); err != nil {
		t.Fatal(err)
	}
	if got := ownV2Path(t, os.Getpid()); got != leaf {
		t.Errorf("after deleting one of two children this process is in %s, want %s", got, leaf)
	}
	if on, err := controllerEnabled(control, "memory"); err != nil || !on {
		t.Errorf("%s: memory enabled %v (%v) while a child remains, want true", control, on, err)
	}
	if err := b.Delete(); err != nil {
		t.Fatal(err)
	}
	if got := ownV2Path(t, os.Getpid()); got != own {
		t.Errorf("after deleting the last child this process is in %s, want %s", got, own)
	}
}
