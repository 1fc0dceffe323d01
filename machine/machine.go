package machine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
)

// DefaultSysRoot is where sysfs is mounted on a normal host.
const DefaultSysRoot = "/sys"

// Describe fills a rundir.Machine for the host whose proc filesystem is fs
// and whose sysfs is mounted at sysRoot ("/sys" in production). CPU fields
// come from cpuid on the running CPU and PageSize from the running kernel;
// the rest is read from the files, and a file that cannot be read is an
// error rather than a zero.
func Describe(fs procfs.FS, sysRoot string) (rundir.Machine, error) {
	m := describeCPU()
	m.PageSize = unix.Getpagesize()

	rel, err := readTrimmed(fs.Path("sys", "kernel", "osrelease"))
	if err != nil {
		return rundir.Machine{}, err
	}
	m.Kernel = rel

	mi, err := fs.Meminfo()
	if err != nil {
		return rundir.Machine{}, err
	}
	m.MemTotalBytes = mi.MemTotal

	thpPath := filepath.Join(sysRoot, "kernel", "mm", "transparent_hugepage", "enabled")
	if m.THP, err = readParsed(thpPath, parseTHP); err != nil {
		return rundir.Machine{}, err
	}
	ocPath := fs.Path("sys", "vm", "overcommit_memory")
	if m.Overcommit, err = readParsed(ocPath, parseOvercommit); err != nil {
		return rundir.Machine{}, err
	}
	if m.CgroupVersion, err = describeCgroup(fs, sysRoot); err != nil {
		return rundir.Machine{}, err
	}
	return m, nil
}

// describeCgroup reads the process's cgroups and mounts, and the unified
// hierarchy's cgroup.controllers when memory is not on a v1 hierarchy.
func describeCgroup(fs procfs.FS, sysRoot string) (int, error) {
	lines, err := fs.Self().Cgroups()
	if err != nil {
		return 0, err
	}
	mounts, err := fs.Self().Mountinfo()
	if err != nil {
		return 0, err
	}
	var controllers []string
	if _, v1 := procfs.CgroupV1Path(lines, "memory"); !v1 {
		if m, ok := procfs.CgroupV2Mount(mounts); ok {
			path := filepath.Join(underSys(m.MountPoint, sysRoot), "cgroup.controllers")
			s, err := readTrimmed(path)
			if err != nil {
				return 0, err
			}
			controllers = strings.Fields(s)
		}
	}
	return memoryCgroupVersion(lines, mounts, controllers), nil
}

// underSys maps a mount point below /sys to the same place below sysRoot,
// so a testdata tree can stand in for /sys.
func underSys(mountPoint, sysRoot string) string {
	if rest, ok := strings.CutPrefix(mountPoint, DefaultSysRoot+"/"); ok {
		return filepath.Join(sysRoot, rest)
	}
	return mountPoint
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
