package cgroup

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/memstorm/memstorm/procfs"
)

// Host is where the memory controller lives for this process: which cgroup
// version holds it, the hierarchy's mount point and this process's own cgroup
// inside it. Children are created under the own cgroup.
type Host struct {
	version  int
	hybrid   bool      // a cgroup2 hierarchy is mounted too, without memory
	mount    string    // memory hierarchy mount point, below Roots.FS
	rel      string    // own cgroup relative to mount, always starting with "/"
	proc     procfs.FS // Roots.Proc, where Cleanup reads process start times and environments
	ownerDir string    // where NewChild records its children (owner.go)
}

// Version returns 1 or 2: the cgroup version that holds the memory controller.
func (h *Host) Version() int { return h.version }

// Hybrid reports whether memory is on v1 while a cgroup2 hierarchy is also
// mounted (systemd's "hybrid" layout; cgroups.Mode() == cgroups.Hybrid).
func (h *Host) Hybrid() bool { return h.hybrid }

// Dir returns the directory of this process's own memory cgroup.
func (h *Host) Dir() string { return filepath.Join(h.mount, h.rel) }

// Detect finds the memory controller from Proc/self/mountinfo and
// Proc/self/cgroup, parsed by package procfs. It is the one place memstorm
// decides which cgroup version holds memory; machine.Describe reports its
// answer. A v1 hierarchy mounted with the memory option wins (on a hybrid
// host the cgroup2 mount cannot also hold memory, since a controller binds to
// one hierarchy); otherwise the cgroup2 mount is used if this process's
// cgroup lists memory in its cgroup.controllers.
//
// When no mounted hierarchy gives this process a memory cgroup it can reach
// (no memory mount, memory not delegated to the own v2 cgroup, or the own
// cgroup outside the mounted subtree) the error wraps ErrNoMemoryController;
// a file that cannot be read or parsed is an error that does not.
func Detect(roots Roots) (*Host, error) {
	self := roots.ProcFS().Self()
	mounts, err := self.Mountinfo()
	if err != nil {
		return nil, err
	}
	lines, err := self.Cgroups()
	if err != nil {
		return nil, err
	}
	v2, hasV2 := procfs.CgroupV2Mount(mounts)
	if v1, ok := procfs.CgroupV1Mount(mounts, "memory"); ok {
		own, ok := procfs.CgroupV1Path(lines, "memory")
		if !ok {
			return nil, fmt.Errorf("%s has no memory line although %s mounts memory at %s: %w",
				self.Path("cgroup"), self.Path("mountinfo"), v1.MountPoint, ErrNoMemoryController)
		}
		return newHost(roots, 1, hasV2, v1, own)
	}
	if !hasV2 {
		return nil, fmt.Errorf("%s: no cgroup mount holds memory: %w", self.Path("mountinfo"), ErrNoMemoryController)
	}
	own, ok := procfs.CgroupV2Path(lines)
	if !ok {
		return nil, fmt.Errorf("%s has no 0::/path line for the cgroup2 mount at %s: %w",
			self.Path("cgroup"), v2.MountPoint, ErrNoMemoryController)
	}
	if path.Base(own) == SupervisorLeaf {
		// Moved there by an earlier NewChild (leaf.go) of this process or
		// of the memstorm that started it: the cgroup that holds the leaf,
		// its limit and the runs' children, is the own one.
		own = path.Dir(own)
	}
	h, err := newHost(roots, 2, false, v2, own)
	if err != nil {
		return nil, err
	}
	ctrl := filepath.Join(h.Dir(), "cgroup.controllers")
	b, err := os.ReadFile(ctrl)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ctrl, err)
	}
	for _, c := range strings.Fields(string(b)) {
		if c == "memory" {
			return h, nil
		}
	}
	return nil, fmt.Errorf("%s lists %q, no memory: %w", ctrl, strings.TrimSpace(string(b)), ErrNoMemoryController)
}

// newHost maps the own cgroup path onto the mount. /proc/self/cgroup paths
// are relative to the hierarchy root (or to the cgroup namespace root), while
// the mount may expose only a subtree (mountinfo field 4, e.g. a container's
// bind mount of /docker/<id>); the own directory is the mount point plus the
// own path relative to that subtree.
func newHost(roots Roots, version int, hybrid bool, m procfs.Mount, own string) (*Host, error) {
	rel, err := filepath.Rel(m.Root, own)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("own cgroup %s is outside the subtree %s mounted at %s: %w",
			own, m.Root, m.MountPoint, ErrNoMemoryController)
	}
	return &Host{
		version:  version,
		hybrid:   hybrid,
		mount:    roots.Path(m.MountPoint),
		rel:      filepath.Join("/", rel),
		proc:     roots.ProcFS(),
		ownerDir: ownerDirFor(roots),
	}, nil
}
