package cgroup

import (
	"path/filepath"

	"github.com/memstorm/memstorm/procfs"
)

// Roots are the file-system roots memstorm reads the host from: where procfs
// is mounted, and the directory that stands for "/" in front of every other
// absolute path it reads (sysfs, and the cgroup mount points found in
// mountinfo). Everything that describes the host takes Roots (Detect here,
// machine.Describe), so tests point all of it at one captured tree under
// testdata/. DefaultRoots gives the live system.
type Roots struct {
	// Proc is the procfs mount, e.g. /proc; Detect reads Proc/self/mountinfo
	// and Proc/self/cgroup.
	Proc string
	// FS is prefixed to every other absolute path: "/" on a live system, the
	// top of a fixture tree holding sys/fs/cgroup/... in tests.
	FS string
}

// DefaultRoots returns the roots of the running system: /proc and /.
func DefaultRoots() Roots { return Roots{Proc: procfs.DefaultRoot, FS: "/"} }

// ProcFS is the proc file system below Proc.
func (r Roots) ProcFS() procfs.FS { return procfs.NewFS(r.Proc) }

// Path maps an absolute path of the host (a mount point, /sys/...) to the
// same place below FS.
func (r Roots) Path(abs string) string { return filepath.Join(r.FS, abs) }
