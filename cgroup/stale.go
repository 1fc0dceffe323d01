package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/procfs"
)

// childPrefix starts the name of every child memstorm creates.
const childPrefix = "memstorm-"

// ChildName returns the name memstorm gives its n-th child cgroup:
// "memstorm-<supervisorPID>-<n>". CleanupStale recognises these names.
func ChildName(supervisorPID, n int) string {
	return fmt.Sprintf("%s%d-%d", childPrefix, supervisorPID, n)
}

// stalePID returns the supervisor PID encoded in a child name.
func stalePID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, childPrefix)
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(num)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// alive reports whether a process with this PID exists (kill(pid, 0);
// EPERM means it exists but belongs to someone else).
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// aliveSince reports whether the supervisor pid that named dir is still
// running: alive, and started before dir was made (a process that started
// later only reuses the number of a dead supervisor). When the start time
// cannot be read (procfs reports a zombie as gone), the process counts
// as alive: a live run's cgroup is never removed on a guess.
func aliveSince(proc procfs.FS, pid int, dir string) bool {
	if !alive(pid) {
		return false
	}
	started, ok := processStart(proc, pid)
	if !ok {
		return true
	}
	var ds unix.Stat_t
	if err := unix.Stat(dir, &ds); err != nil {
		return true
	}
	return started <= ds.Ctim.Sec+1
}

// processStart is when pid started, in whole seconds since the epoch: boot
// time (/proc/stat btime) plus the start time in /proc/<pid>/stat (clock
// ticks after boot), both read by procfs.
func processStart(proc procfs.FS, pid int) (int64, bool) {
	st, err := proc.Proc(pid).Stat()
	if err != nil {
		return 0, false
	}
	boot, err := proc.BootTime()
	if err != nil {
		return 0, false
	}
	return boot + int64(st.StartTimeTicks/procfs.UserHZ), true
}

// CleanupStale removes the memstorm-<pid>-* children of the own cgroup whose
// supervisor <pid> is no longer alive (left by a crashed run): processes in
// them are SIGKILLed by PID first, as in Group.Delete. It returns how many it
// removed; failures are joined into the error and the rest still tried.
func (h *Host) CleanupStale() (int, error) {
	entries, err := os.ReadDir(h.Dir())
	if err != nil {
		return 0, fmt.Errorf("listing %s: %w", h.Dir(), err)
	}
	var n int
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pid, ok := stalePID(e.Name())
		if !ok || aliveSince(h.proc, pid, filepath.Join(h.Dir(), e.Name())) {
			continue
		}
		g, err := h.loadChild(e.Name())
		if err == nil {
			err = g.Delete()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("removing stale child: %w", err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// loadChild returns an existing child as a Group without opening its files,
// so that Delete goes through the same library removal as for NewChild.
func (h *Host) loadChild(name string) (*Group, error) {
	g := &Group{version: h.version, mode: ModeChild, dir: filepath.Join(h.Dir(), name)}
	var err error
	switch h.version {
	case 1:
		g.v1, err = cgroup1.Load(cgroup1.StaticPath(path.Join(h.rel, name)), cgroup1.WithHierarchy(h.v1Hierarchy))
	case 2:
		g.v2, err = cgroup2.Load(path.Join(h.rel, name), cgroup2.WithMountpoint(h.mount))
	}
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", g.dir, err)
	}
	return g, nil
}
