package cgroup

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/containerd/cgroups/v3/cgroup1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// newV1 creates the child through cgroup1.New with a hierarchy holding only
// the memory controller. cgroup1.Default would create the child in every
// mounted v1 controller (cpu, pids, ...), which memstorm neither needs nor
// cleans up. cgroup1.NestedPath is not used: it reads the live
// /proc/self/cgroup (not Roots) and, when the own cgroup equals the mount's
// root (a container's bind mount), maps it to the mount root path again
// instead of "/", so the child would land in a directory that does not exist.
// The path given here is the own cgroup relative to the memory mount point,
// as Detect computed it.
func (h *Host) newV1(name string, s Settings) (cgroup1.Cgroup, error) {
	if s.OOMGroup {
		return nil, fmt.Errorf("OOMGroup (memory.oom.group): %w", ErrUnsupported)
	}
	if len(s.HugeTLB) > 0 {
		return nil, fmt.Errorf("a hugetlb limit (the hugetlb controller is not on the v1 memory hierarchy; use cgroup v2): %w", ErrUnsupported)
	}
	root := filepath.Dir(h.mount)
	if filepath.Base(h.mount) != "memory" {
		a, errA := os.Stat(h.mount)
		b, errB := os.Stat(filepath.Join(root, "memory"))
		if errA != nil || errB != nil || !os.SameFile(a, b) {
			return nil, fmt.Errorf("memory hierarchy mounted at %s, not reachable as %s/memory: %w",
				h.mount, root, ErrUnsupported)
		}
	}
	mem := &specs.LinuxMemory{}
	maxB, hasMax := s.Max.Bytes()
	if hasMax {
		mem.Limit = &maxB
	}
	if b, ok := s.High.Bytes(); ok {
		mem.Reservation = &b
	}
	// memsw exists only with swap accounting (CONFIG_MEMCG_SWAP, swapaccount=1).
	// It must be >= the limit, so it is meaningful only with a Max.
	if swap, ok := s.Swap.Bytes(); ok && hasMax {
		if _, err := os.Stat(filepath.Join(h.Dir(), "memory.memsw.limit_in_bytes")); err == nil {
			memsw := maxB + swap
			mem.Swap = &memsw
		}
	}
	return cgroup1.New(cgroup1.StaticPath(path.Join(h.rel, name)),
		&specs.LinuxResources{Memory: mem}, cgroup1.WithHierarchy(h.v1Hierarchy))
}

// v1Hierarchy is a cgroup1.Hierarchy of the memory controller alone.
// cgroup1.NewMemory(root) uses root/"memory" as the mount point.
func (h *Host) v1Hierarchy() ([]cgroup1.Subsystem, error) {
	return []cgroup1.Subsystem{cgroup1.NewMemory(filepath.Dir(h.mount))}, nil
}
