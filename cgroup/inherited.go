package cgroup

import (
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/memstorm/memstorm/units"
)

// InheritedLimit returns the hard memory limit that holds this process
// (what --limit inherit takes): the smallest limit set on its own memory
// cgroup or on any cgroup above it within the mounted hierarchy, and the
// directory that sets it. In a container the mount shows only the
// container's cgroup, so that is the container's limit. Unlimited, with an
// empty directory, when none of them has a limit.
//
// The walk stops at the mount: a limit set above a container's cgroup is
// invisible from inside it (as it is to the container's own processes).
// On v1 the kernel gives the same figure as hierarchical_memory_limit in
// memory.stat; the walk reads limit_in_bytes so that v1 and v2 take one
// path.
func (h *Host) InheritedLimit() (units.Limit, string, error) {
	file := "memory.max"
	if h.version == 1 {
		file = "memory.limit_in_bytes"
	}
	best, from := units.Unlimited, ""
	for rel := h.rel; ; rel = filepath.Dir(rel) {
		dir := filepath.Join(h.mount, rel)
		l, err := parseFile(filepath.Join(dir, file), parseLimit)
		switch {
		case err != nil && rel == "/" && errors.Is(err, fs.ErrNotExist):
			// The v2 root cgroup has no memory.max: nothing limits it.
		case err != nil:
			return units.Limit{}, "", err
		default:
			b, ok := l.Bytes()
			if cur, bounded := best.Bytes(); ok && (!bounded || b < cur) {
				best, from = l, dir
			}
		}
		if rel == "/" {
			return best, from, nil
		}
	}
}
