package machine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
)

// fixtureRoots are the roots of a tree below testdata/: proc/ and sys/.
func fixtureRoots(tree string) cgroup.Roots {
	return cgroup.Roots{Proc: filepath.Join("testdata", tree, "proc"), FS: filepath.Join("testdata", tree)}
}

// Describe on the captured trees of both hosts (/work/shared/fixtures
// cgroup-v1-hybrid and cgroup-v2): every field read from files must match
// the fixtures; the CPU and page size are this machine's.
func TestDescribeFixtures(t *testing.T) {
	for _, tc := range []struct {
		host string
		want rundir.Machine // file-derived fields only
	}{
		{"v1-hybrid", rundir.Machine{Kernel: "6.18.44-fc-v782", MemTotalBytes: 24683620 * 1024, THP: "madvise", Overcommit: 0, CgroupVersion: 1}},
		{"v2", rundir.Machine{Kernel: "6.18.44-fc-v657-gpu", MemTotalBytes: 131981020 * 1024, THP: "madvise", Overcommit: 1, CgroupVersion: 2}},
	} {
		t.Run(tc.host, func(t *testing.T) {
			got, err := Describe(fixtureRoots(tc.host))
			if err != nil {
				t.Fatal(err)
			}
			fromFiles := rundir.Machine{Kernel: got.Kernel, MemTotalBytes: got.MemTotalBytes, THP: got.THP,
				Overcommit: got.Overcommit, CgroupVersion: got.CgroupVersion}
			if diff := cmpMachine(tc.want, fromFiles); diff != "" {
				t.Errorf("Describe mismatch (-want +got):\n%s", diff)
			}
			if got.PageSize != os.Getpagesize() {
				t.Errorf("PageSize = %d, want %d", got.PageSize, os.Getpagesize())
			}
		})
	}
}

// The cgroup version is cgroup.Detect's: 0 wherever Detect finds no memory
// cgroup this process can use. v1-memory-not-mounted is where the two
// former deciders disagreed: /proc/self/cgroup puts memory on a v1
// hierarchy, but none is mounted, so there is nothing memstorm can use (the
// old rule here said 1 from the cgroup file alone).
func TestCgroupVersion(t *testing.T) {
	for _, tc := range []struct {
		tree string
		want int
	}{
		{"v1-hybrid", 1},
		{"v2", 2},
		{"cases/v1-memory-not-mounted", 0},
		{"cases/v2-memory-not-delegated", 0},
		{"cases/no-cgroup-mount", 0},
	} {
		t.Run(tc.tree, func(t *testing.T) {
			got, err := cgroupVersion(fixtureRoots(tc.tree))
			if err != nil || got != tc.want {
				t.Errorf("cgroupVersion = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestDescribeMissingFile(t *testing.T) {
	// The v1-hybrid tree has no cgroup.controllers for the v2 host's own
	// cgroup, so reading the v2 proc tree with the v1 tree as "/" must fail
	// loudly rather than report "no memory controller".
	_, err := Describe(cgroup.Roots{Proc: "testdata/v2/proc", FS: "testdata/v1-hybrid"})
	if err == nil || !strings.Contains(err.Error(), "cgroup.controllers") {
		t.Errorf("Describe = %v, want an error naming cgroup.controllers", err)
	}
	_, err = Describe(fixtureRoots("nonexistent"))
	if err == nil {
		t.Error("Describe of a missing tree succeeded")
	}
}

// The real host: figures cross-checked against other sources of the same fact.
func TestDescribeReal(t *testing.T) {
	m, err := Describe(cgroup.DefaultRoots())
	if err != nil {
		t.Fatal(err)
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	if rel := unix.ByteSliceToString(uts.Release[:]); m.Kernel != rel {
		t.Errorf("Kernel = %q, uname -r = %q", m.Kernel, rel)
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	if total := int64(si.Totalram) * int64(si.Unit); m.MemTotalBytes/1024 != total/1024 {
		t.Errorf("MemTotalBytes = %d, sysinfo = %d", m.MemTotalBytes, total)
	}
	switch m.THP {
	case "always", "madvise", "never":
	default:
		t.Errorf("THP = %q", m.THP)
	}
	if m.PageSize < 4096 || m.PageSize&(m.PageSize-1) != 0 {
		t.Errorf("PageSize = %d", m.PageSize)
	}
	// Cross-check the cgroup version against the filesystem itself.
	switch m.CgroupVersion {
	case 1:
		if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
			t.Errorf("CgroupVersion 1 but %v", err)
		}
	case 2:
		if _, err := os.Stat("/sys/fs/cgroup/memory.stat"); err != nil {
			t.Errorf("CgroupVersion 2 but %v", err)
		}
	default:
		testenv.Missing(t, "no memory cgroup controller found")
	}
}
