package cgroup

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Roots are the file-system roots Detect reads. Tests point them at trees
// under testdata/; DefaultRoots gives the live system.
type Roots struct {
	// Proc is the procfs mount; Detect reads Proc/self/mountinfo and
	// Proc/self/cgroup.
	Proc string
	// FS is prefixed to every mount point found in mountinfo, so that a
	// fixture tree can stand in for /sys/fs/cgroup. "/" on a live system.
	FS string
}

// DefaultRoots returns the roots of the running system: /proc and /.
func DefaultRoots() Roots { return Roots{Proc: "/proc", FS: "/"} }

// Host is where the memory controller lives for this process: which cgroup
// version holds it, the hierarchy's mount point and this process's own cgroup
// inside it. Children are created under the own cgroup.
type Host struct {
	version int
	hybrid  bool   // a cgroup2 hierarchy is mounted too, without memory
	mount   string // memory hierarchy mount point, with Roots.FS prefixed
	rel     string // own cgroup relative to mount, always starting with "/"
}

// Version returns 1 or 2: the cgroup version that holds the memory controller.
func (h *Host) Version() int { return h.version }

// Hybrid reports whether memory is on v1 while a cgroup2 hierarchy is also
// mounted (systemd's "hybrid" layout; cgroups.Mode() == cgroups.Hybrid).
func (h *Host) Hybrid() bool { return h.hybrid }

// Dir returns the directory of this process's own memory cgroup.
func (h *Host) Dir() string { return filepath.Join(h.mount, h.rel) }

// Detect finds the memory controller from Proc/self/mountinfo and
// Proc/self/cgroup. A v1 hierarchy mounted with the memory option wins (on a
// hybrid host the cgroup2 mount cannot also hold memory, since a controller
// binds to one hierarchy); otherwise the cgroup2 mount is used if this
// process's cgroup lists memory in its cgroup.controllers.
func Detect(roots Roots) (*Host, error) {
	mountinfo := filepath.Join(roots.Proc, "self", "mountinfo")
	mounts, err := parseFile(mountinfo, parseMountinfo)
	if err != nil {
		return nil, err
	}
	selfCgroup := filepath.Join(roots.Proc, "self", "cgroup")
	lines, err := parseFile(selfCgroup, parseProcCgroup)
	if err != nil {
		return nil, err
	}
	var v1mem, v2 *mount
	for i := range mounts {
		m := &mounts[i]
		switch {
		case m.fstype == "cgroup" && m.has("memory") && v1mem == nil:
			v1mem = m
		case m.fstype == "cgroup2" && v2 == nil:
			v2 = m
		}
	}
	if v1mem != nil {
		own, ok := findLine(lines, "memory")
		if !ok {
			return nil, fmt.Errorf("%s has no memory line although %s mounts memory at %s: %w",
				selfCgroup, mountinfo, v1mem.mountpoint, ErrNoMemoryController)
		}
		return newHost(1, v2 != nil, roots.FS, *v1mem, own)
	}
	if v2 == nil {
		return nil, fmt.Errorf("%s: no cgroup mount holds memory: %w", mountinfo, ErrNoMemoryController)
	}
	own, ok := findLine(lines, "")
	if !ok {
		return nil, fmt.Errorf("%s has no 0::/path line for the cgroup2 mount at %s: %w",
			selfCgroup, v2.mountpoint, ErrNoMemoryController)
	}
	h, err := newHost(2, false, roots.FS, *v2, own)
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

// findLine returns the path of the /proc/self/cgroup line naming controller,
// or of the v2 line ("0::/path") when controller is "".
func findLine(lines []procCgroup, controller string) (string, bool) {
	for _, l := range lines {
		if controller == "" {
			if l.id == 0 && len(l.controllers) == 0 {
				return l.path, true
			}
			continue
		}
		for _, c := range l.controllers {
			if c == controller {
				return l.path, true
			}
		}
	}
	return "", false
}

// newHost maps the own cgroup path onto the mount. /proc/self/cgroup paths
// are relative to the hierarchy root (or to the cgroup namespace root), while
// the mount may expose only a subtree (mountinfo field 4, e.g. a container's
// bind mount of /docker/<id>); the own directory is the mount point plus the
// own path relative to that subtree.
func newHost(version int, hybrid bool, fsRoot string, m mount, own string) (*Host, error) {
	rel, err := filepath.Rel(m.root, own)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("own cgroup %s is outside the subtree %s mounted at %s", own, m.root, m.mountpoint)
	}
	return &Host{
		version: version,
		hybrid:  hybrid,
		mount:   filepath.Join(fsRoot, m.mountpoint),
		rel:     filepath.Join("/", rel),
	}, nil
}

// parseFile opens path and runs parse on it, wrapping errors with the path.
func parseFile[T any](path string, parse func(r io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("parsing %s: %w", path, err)
	}
	return v, nil
}
