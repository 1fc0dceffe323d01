package cgroup

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/memstorm/memstorm/units"
)

// hierarchicalLimit is the kernel's own answer on v1: memory.stat's
// hierarchical_memory_limit of dir.
func hierarchicalLimit(t *testing.T, dir string) units.Limit {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "memory.stat"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "hierarchical_memory_limit "); ok {
			l, err := parseLimit(strings.NewReader(v + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
	}
	t.Fatalf("%s/memory.stat has no hierarchical_memory_limit", dir)
	return units.Limit{}
}

// TestInheritedLimitOwn: for this test process, the walk agrees with the
// kernel's hierarchical limit (v1), whatever it is on this host.
func TestInheritedLimitOwn(t *testing.T) {
	h := realHost(t, false)
	l, from, err := h.InheritedLimit()
	if err != nil {
		t.Fatal(err)
	}
	if l.Bounded() != (from != "") {
		t.Errorf("limit %v from %q: a bounded limit names its directory, and only it", l, from)
	}
	if h.Version() == 1 {
		if want := hierarchicalLimit(t, h.Dir()); !l.Equal(want) {
			t.Errorf("InheritedLimit() = %v, kernel's hierarchical_memory_limit = %v", l, want)
		}
	}
}

// TestInheritedLimitFromAbove: a process in an unlimited cgroup below a
// 64 MiB one inherits 64 MiB from the parent; seen through a proc root
// whose self is that process, as Detect sees its own.
func TestInheritedLimitFromAbove(t *testing.T) {
	h := realHost(t, true)
	const limit = 64 << 20
	g := newTestChild(t, h, Settings{Max: units.BytesLimit(limit)})
	inner := filepath.Join(g.Path(), "inner")
	// v2: the child gives its own child the memory controller (it holds
	// no process, so the no-internal-process rule allows it).
	if sc := filepath.Join(g.Path(), "cgroup.subtree_control"); fileExists(sc) {
		if err := os.WriteFile(sc, []byte("+memory"), 0o644); err != nil {
			t.Fatalf("enabling memory below %s: %v", g.Path(), err)
		}
	}
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	if h.Version() == 2 {
		// v2: the child gives memory to inner only when asked, as the
		// kubelet's container cgroups and systemd's delegated ones do.
		if err := writeFile(filepath.Join(g.Path(), "cgroup.subtree_control"), "+memory"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := os.Remove(inner); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	cmd, _ := startBlocked(t, time.Minute, "sleep 60")
	pid := strconv.Itoa(cmd.Process.Pid)
	procs := "cgroup.procs"
	if err := os.WriteFile(filepath.Join(inner, procs), []byte(pid), 0o644); err != nil {
		t.Fatal(err)
	}
	proc := t.TempDir()
	if err := os.Symlink("/proc/"+pid, filepath.Join(proc, "self")); err != nil {
		t.Fatal(err)
	}
	ih, err := Detect(Roots{Proc: proc, FS: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if ih.Dir() != inner {
		t.Fatalf("own cgroup of pid %s = %s, want %s", pid, ih.Dir(), inner)
	}
	l, from, err := ih.InheritedLimit()
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := l.Bytes(); !ok || b != limit || from != g.Path() {
		t.Errorf("InheritedLimit() = %v from %q, want 64MiB from %s", l, from, g.Path())
	}
	if ih.Version() == 1 {
		if want := hierarchicalLimit(t, inner); !l.Equal(want) {
			t.Errorf("InheritedLimit() = %v, kernel's hierarchical_memory_limit = %v", l, want)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
