package machine

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
)

// Describe fills a rundir.Machine for the host whose file systems are at
// roots (cgroup.DefaultRoots() in production, a captured tree in tests):
// /proc below roots.Proc, /sys and the cgroup mounts below roots.FS. CPU
// fields come from cpuid on the running CPU and PageSize from the running
// kernel; the rest is read from the files, and a file that cannot be read is
// an error rather than a zero.
func Describe(roots cgroup.Roots) (rundir.Machine, error) {
	m := describeCPU()
	m.PageSize = unix.Getpagesize()
	proc := roots.ProcFS()

	rel, err := readTrimmed(proc.Path("sys", "kernel", "osrelease"))
	if err != nil {
		return rundir.Machine{}, err
	}
	m.Kernel = rel

	mi, err := proc.Meminfo()
	if err != nil {
		return rundir.Machine{}, err
	}
	m.MemTotalBytes = mi.MemTotal

	thpPath := roots.Path("/sys/kernel/mm/transparent_hugepage/enabled")
	if m.THP, err = readParsed(thpPath, parseTHP); err != nil {
		return rundir.Machine{}, err
	}
	ocPath := proc.Path("sys", "vm", "overcommit_memory")
	if m.Overcommit, err = readParsed(ocPath, parseOvercommit); err != nil {
		return rundir.Machine{}, err
	}
	if m.CgroupVersion, err = cgroupVersion(roots); err != nil {
		return rundir.Machine{}, err
	}
	m.UsableCPUs = usableCPUs()
	if m.CPUQuota, err = cpuQuota(roots); err != nil {
		return rundir.Machine{}, err
	}
	return m, nil
}

// cgroupVersion is the version cgroup.Detect, the one place that decides it,
// finds for the memory controller: 1 or 2, or 0 when no mounted hierarchy
// gives this process a memory cgroup (cgroup.ErrNoMemoryController). Any
// other failure (a file that cannot be read or parsed) is an error, not 0.
func cgroupVersion(roots cgroup.Roots) (int, error) {
	h, err := cgroup.Detect(roots)
	if errors.Is(err, cgroup.ErrNoMemoryController) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return h.Version(), nil
}

func readTrimmed(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func readParsed[T any](path string, parse func(string) (T, error)) (T, error) {
	var zero T
	s, err := readTrimmed(path)
	if err != nil {
		return zero, err
	}
	v, err := parse(s)
	if err != nil {
		return zero, fmt.Errorf("parsing %s: %w", path, err)
	}
	return v, nil
}
