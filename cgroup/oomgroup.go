package cgroup

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// GroupKill is what an OOM kill at the limit that holds memstorm does
// where a cgroup on the way has memory.oom.group set, as the kubelet sets
// it on a container's cgroup (cgroup v2, Kubernetes 1.28 and later).
type GroupKill struct {
	// Dir is the cgroup the kernel kills whole: the highest cgroup with
	// memory.oom.group=1 from memstorm's own up to LimitDir (the kernel's
	// mem_cgroup_get_oom_group walks from the victim's cgroup up to the one
	// whose limit was hit). Every process below it dies, memstorm's own
	// included, but for those with oom_score_adj -1000.
	Dir string
	// LimitDir is the cgroup whose limit is the one memstorm meets
	// (InheritedLimit's directory).
	LimitDir string
}

// GroupKill reports whether an OOM kill at the limit that holds this
// process (InheritedLimit) would kill the whole group memstorm is in, and
// which; nil when it would not: on v1 (no memory.oom.group), without a
// limit, or where no cgroup from the own one up to the limit's has
// memory.oom.group=1. A cgroup without the file (kernels before 4.19)
// counts as 0.
func (h *Host) GroupKill() (*GroupKill, error) {
	if h.version != 2 {
		return nil, nil
	}
	lim, from, err := h.InheritedLimit()
	if err != nil || !lim.Bounded() {
		return nil, err
	}
	var gk *GroupKill
	for rel := h.rel; ; rel = filepath.Dir(rel) {
		dir := filepath.Join(h.mount, rel)
		v, err := parseFile(filepath.Join(dir, "memory.oom.group"), parseCounter)
		switch {
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, err
		case err == nil && v == 1:
			gk = &GroupKill{Dir: dir, LimitDir: from}
		}
		if dir == from || rel == "/" {
			return gk, nil
		}
	}
}
