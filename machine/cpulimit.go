package machine

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/procfs"
)

// usableCPUs is how many CPUs this process may run on: its affinity mask,
// which a container's cpuset and taskset narrow. cpuid describes the host's
// processor package, which a VM or container may see little of.
func usableCPUs() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0
	}
	return set.Count()
}

// cpuQuota reads the CPU bandwidth limit of this process's cgroup, in CPUs
// (1.5 = a CPU and a half of time per period): v2 cpu.max, v1
// cpu.cfs_quota_us / cpu.cfs_period_us. 0 when there is none ("max", -1,
// no cpu controller mounted).
func cpuQuota(roots cgroup.Roots) (float64, error) {
	proc := roots.ProcFS().Self()
	lines, err := proc.Cgroups()
	if err != nil {
		return 0, err
	}
	mounts, err := proc.Mountinfo()
	if err != nil {
		return 0, err
	}
	if rel, ok := procfs.CgroupV1Path(lines, "cpu"); ok {
		m, ok := procfs.CgroupV1Mount(mounts, "cpu")
		if !ok {
			return 0, nil
		}
		dir := roots.Path(filepath.Join(m.MountPoint, relativeTo(rel, m.Root)))
		q, err := readFirstLine(filepath.Join(dir, "cpu.cfs_quota_us"))
		if err != nil {
			return 0, nil // a cpu hierarchy without CFS bandwidth: no quota
		}
		p, err := readFirstLine(filepath.Join(dir, "cpu.cfs_period_us"))
		if err != nil {
			return 0, nil
		}
		return parseQuota(q + " " + p)
	}
	if rel, ok := procfs.CgroupV2Path(lines); ok {
		m, ok := procfs.CgroupV2Mount(mounts)
		if !ok {
			return 0, nil
		}
		line, err := readFirstLine(roots.Path(filepath.Join(m.MountPoint, relativeTo(rel, m.Root), "cpu.max")))
		if err != nil {
			return 0, nil // the cpu controller is not enabled for this cgroup
		}
		return parseQuota(line)
	}
	return 0, nil
}

// relativeTo is a /proc/self/cgroup path relative to the mount's root (a
// container sees its own cgroup as the root of the hierarchy).
func relativeTo(path, root string) string {
	if root == "/" || root == "" {
		return path
	}
	if r, ok := strings.CutPrefix(path, root); ok {
		return "/" + strings.TrimPrefix(r, "/")
	}
	return path
}

func readFirstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line), nil
}

// parseQuota parses "QUOTA PERIOD" (cpu.max, or v1's two files joined):
// QUOTA "max" or -1 is no limit.
func parseQuota(s string) (float64, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, fmt.Errorf("CPU quota %q: want QUOTA PERIOD", s)
	}
	if f[0] == "max" || f[0] == "-1" {
		return 0, nil
	}
	q, err1 := strconv.ParseInt(f[0], 10, 64)
	p, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0, fmt.Errorf("CPU quota %q: want positive QUOTA and PERIOD in microseconds", s)
	}
	return float64(q) / float64(p), nil
}
