package cgroup

import (
	"maps"
	"path"
	"slices"

	"github.com/containerd/cgroups/v3/cgroup2"
)

// newV2 creates the child through cgroup2.NewManager, which also enables the
// memory controller in cgroup.subtree_control of every ancestor up to the own
// cgroup. That write fails with EBUSY when the own cgroup (not the root)
// holds processes: cgroup v2's "no internal processes" rule. NewChild calls
// enableMemoryV2 first, which moves them into SupervisorLeaf (leaf.go).
func (h *Host) newV2(name string, s Settings) (*cgroup2.Manager, error) {
	mem := &cgroup2.Memory{}
	if b, ok := s.Max.Bytes(); ok {
		mem.Max = &b
	}
	if b, ok := s.High.Bytes(); ok {
		mem.High = &b
	}
	if b, ok := s.Swap.Bytes(); ok {
		mem.Swap = &b
	}
	if s.OOMGroup {
		mem.OOMGroup = &s.OOMGroup
	}
	res := &cgroup2.Resources{Memory: mem}
	if len(s.HugeTLB) > 0 {
		var ht cgroup2.HugeTlb
		for _, page := range slices.Sorted(maps.Keys(s.HugeTLB)) {
			kname, err := hugeTLBKernelName(page)
			if err != nil {
				return nil, err
			}
			ht = append(ht, cgroup2.HugeTlbEntry{HugePageSize: kname, Limit: uint64(s.HugeTLB[page])})
		}
		// NewManager also writes +hugetlb to the ancestors' subtree_control;
		// restoreV2 takes it back from the own cgroup with memory.
		res.HugeTlb = &ht
	}
	return cgroup2.NewManager(h.mount, path.Join(h.rel, name), res)
}
