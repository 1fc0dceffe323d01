package machine

import (
	"slices"

	"github.com/memstorm/memstorm/procfs"
)

// memoryCgroupVersion says which cgroup version holds the memory controller
// for this process: 1 when /proc/self/cgroup puts memory on a v1 hierarchy
// (a v1 or hybrid host; a controller lives on one hierarchy only), 2 when
// cgroup2 is mounted and its cgroup.controllers (v2Controllers) lists
// memory, 0 otherwise (no memory controller memstorm can use).
func memoryCgroupVersion(lines []procfs.CgroupLine, mounts []procfs.Mount, v2Controllers []string) int {
	if _, ok := procfs.CgroupV1Path(lines, "memory"); ok {
		return 1
	}
	if _, ok := procfs.CgroupV2Path(lines); !ok {
		return 0
	}
	if _, ok := procfs.CgroupV2Mount(mounts); !ok {
		return 0
	}
	if slices.Contains(v2Controllers, "memory") {
		return 2
	}
	return 0
}
