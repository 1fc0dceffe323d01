package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	"github.com/memstorm/memstorm/units"
	"golang.org/x/sys/unix"
)

// Modes returned by Group.Mode.
const (
	ModeChild   = "child"   // created by Host.NewChild, owned and deleted by memstorm
	ModeCurrent = "current" // memstorm's own cgroup from Host.Current, read-only
)

// Settings are the limits of a new child cgroup. An unset or unlimited
// limit is left at the kernel default of a new cgroup ("max").
type Settings struct {
	// Max is the hard limit (v1 memory.limit_in_bytes, v2 memory.max).
	Max units.Limit
	// High is the reclaim threshold: v2 memory.high (throttles and
	// reclaims above it); on v1 memory.soft_limit_in_bytes, which only
	// steers reclaim under global memory pressure.
	High units.Limit
	// Swap is how much swap the group may use beyond Max: v2
	// memory.swap.max; v1 memory.memsw.limit_in_bytes = Max+Swap, written
	// only where the kernel accounts swap (the memsw files exist) and Max is set.
	Swap units.Limit
	// OOMGroup makes a memcg OOM kill take the whole group (v2
	// memory.oom.group). v1 has no equivalent: true is ErrUnsupported there.
	OOMGroup bool
	// HugeTLB limits the explicit huge pages the group may fault in, by
	// page size in bytes (v2 hugetlb.<size>.max; a fault past it is a
	// SIGBUS, see HugeTLBFailures). v2 only: on v1 the hugetlb controller
	// is a hierarchy of its own, and a non-empty map is ErrUnsupported.
	HugeTLB map[int64]int64
}

func (s Settings) validate() error {
	if b, ok := s.Max.Bytes(); ok && b == 0 {
		return fmt.Errorf("settings: Max=0 would make every charge fail; leave it unset for unlimited")
	}
	return nil
}

// Group is one memory cgroup: a child created for a run, or the current
// cgroup in read-only mode.
type Group struct {
	version int
	mode    string
	dir     string
	usage   *os.File
	dirFD   *os.File     // O_PATH|O_DIRECTORY, v2 children only
	owner   string       // the ownership record of a child (owner.go); "" once removed
	restore func() error // undoes Host.enableMemoryV2 once the child is gone (leaf.go); nil after
	v1      cgroup1.Cgroup
	v2      *cgroup2.Manager
}

// Path returns the cgroup's directory.
func (g *Group) Path() string { return g.dir }

// Version returns 1 or 2.
func (g *Group) Version() int { return g.version }

// Mode returns ModeChild or ModeCurrent.
func (g *Group) Mode() string { return g.mode }

// FD returns an O_PATH|O_DIRECTORY descriptor of a v2 child's directory, for
// syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: g.FD()} so the worker
// starts inside the group (clone3 CLONE_INTO_CGROUP). It is -1 on v1, which
// has no such clone flag (use AddProc), and for the current group.
func (g *Group) FD() int {
	if g.dirFD == nil {
		return -1
	}
	return int(g.dirFD.Fd())
}

// UsageFile returns the open memory.usage_in_bytes (v1) or memory.current
// (v2) file, for repeated pread(2) polling at offset 0. The Group owns it:
// Close or Delete closes it.
func (g *Group) UsageFile() *os.File { return g.usage }

// Stats reads all counters of the group now.
func (g *Group) Stats() (Stats, error) { return readStats(g.version, g.dir) }

// AddProc moves process pid (all its threads) into the group. On v1 this is
// the only way in: start the worker blocked, AddProc, then release it, so it
// allocates nothing outside the group.
func (g *Group) AddProc(pid int) error {
	var err error
	switch {
	case g.mode != ModeChild:
		return fmt.Errorf("adding pid %d to %s: %w", pid, g.dir, ErrReadOnly)
	case g.v1 != nil:
		err = g.v1.AddProc(uint64(pid), cgroup1.Memory)
	case g.v2 != nil:
		err = g.v2.AddProc(uint64(pid))
	}
	if err != nil {
		return fmt.Errorf("adding pid %d to %s: %w", pid, g.dir, err)
	}
	return nil
}

// Close releases the open files (UsageFile, FD) without touching the cgroup.
func (g *Group) Close() error {
	var errs []error
	for _, f := range []*os.File{g.usage, g.dirFD} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	g.usage, g.dirFD = nil, nil
	return errors.Join(errs...)
}

// Current returns this process's own memory cgroup for read-only use
// (in-container mode): Stats and UsageFile work, AddProc and Delete return
// ErrReadOnly.
//
// The root of a cgroup v2 hierarchy has no memory.current and no
// memory.max: there the error wraps ErrRootCgroup.
func (h *Host) Current() (*Group, error) {
	g := &Group{version: h.version, mode: ModeCurrent, dir: h.Dir()}
	if err := g.openUsage(); err != nil {
		if h.version == 2 && errors.Is(err, fs.ErrNotExist) && isRootV2(g.dir) {
			return nil, fmt.Errorf("memstorm's own cgroup %s is the root of the cgroup v2 hierarchy, which has no memory.current or memory.max to run in: %w", g.dir, ErrRootCgroup)
		}
		return nil, err
	}
	return g, nil
}

// NewChild creates the child cgroup name under this process's own cgroup with
// the given limits, through containerd/cgroups (cgroup1 with a memory-only
// hierarchy, or cgroup2.NewManager), and records it as memstorm's in
// OwnerDir (owner.go), which Delete undoes. An existing directory of that
// name is an error wrapping fs.ErrExist: memstorm never adopts a cgroup it
// did not make. So is a child whose ownership cannot be recorded: it is
// removed again rather than left where Cleanup could not prove it
// memstorm's after a crash.
func (h *Host) NewChild(name string, s Settings) (*Group, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return nil, fmt.Errorf("child cgroup name %q: want one path element", name)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	g := &Group{version: h.version, mode: ModeChild, dir: filepath.Join(h.Dir(), name)}
	if _, err := os.Lstat(g.dir); err == nil {
		return nil, fmt.Errorf("creating %s: %w", g.dir, fs.ErrExist)
	}
	var err error
	switch h.version {
	case 1:
		g.v1, err = h.newV1(name, s)
	case 2:
		g.restore = h.restoreV2
		err = h.enableMemoryV2(func() (err error) {
			g.v2, err = h.newV2(name, s)
			return err
		})
	default:
		err = fmt.Errorf("cgroup version %d: %w", h.version, ErrUnsupported)
	}
	if err != nil {
		// The libraries leave the directory behind when a write fails.
		if rmErr := os.Remove(g.dir); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, rmErr)
		}
		err = errors.Join(err, g.restoreOwn())
		return nil, fmt.Errorf("creating %s: %w", g.dir, err)
	}
	if err := h.recordOwner(g); err != nil {
		return nil, errors.Join(fmt.Errorf("recording %s as memstorm's: %w", g.dir, err), g.Delete())
	}
	if err := g.openUsage(); err != nil {
		return nil, errors.Join(err, g.Delete())
	}
	if h.version == 2 {
		fd, err := unix.Open(g.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("opening %s: %w", g.dir, err), g.Delete())
		}
		g.dirFD = os.NewFile(uintptr(fd), g.dir)
	}
	return g, nil
}

func (g *Group) openUsage() error {
	name := "memory.usage_in_bytes"
	if g.version == 2 {
		name = "memory.current"
	}
	f, err := os.Open(filepath.Join(g.dir, name))
	if err != nil {
		return fmt.Errorf("opening the usage file of %s: %w", g.dir, err)
	}
	g.usage = f
	return nil
}

// probeSeq numbers the probe children of this process, far above the
// numbers runs and tests give theirs.
var probeSeq atomic.Int64

func init() { probeSeq.Store(1 << 30) }

// CheckChild creates a child without limits and removes it again: the one
// proof that NewChild can work here (root or a delegated cgroup, memory
// given to children, an ownership record written; on v2 the own cgroup's
// processes moved into SupervisorLeaf and back). Files that exist prove
// none of it. The error is NewChild's or Delete's.
func (h *Host) CheckChild() error {
	g, err := h.NewChild(ChildName(os.Getpid(), int(probeSeq.Add(1))), Settings{})
	if err != nil {
		return err
	}
	return g.Delete()
}
