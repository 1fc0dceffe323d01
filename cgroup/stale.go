package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
)

// childPrefix starts the name of every child memstorm creates.
const childPrefix = "memstorm-"

// ChildName returns the name memstorm gives its n-th child cgroup:
// "memstorm-<supervisorPID>-<n>". The name only makes the cgroup easy to
// spot; what makes it memstorm's is its ownership record (owner.go).
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

// Cleanup is what Host.Cleanup did.
type Cleanup struct {
	// Removed are the stale children removed: provably memstorm's, their
	// creator gone, every process in them a memstorm worker (now killed).
	Removed []RemovedChild
	// Left are the cgroups named like memstorm's children, and ownership
	// records, that Cleanup left alone, each with why.
	Left []LeftAlone
	// Records counts ownership records removed whose cgroup was already
	// gone (the supervisor died between removing it and its record).
	Records int
}

// RemovedChild is one stale child Cleanup removed.
type RemovedChild struct {
	Path       string
	CreatorPID int   // the memstorm process that made it, gone
	Killed     []int // the worker PIDs that were still in it, SIGKILLed
}

// LeftAlone is a cgroup (or an ownership record) Cleanup did not touch.
type LeftAlone struct {
	Path string
	Why  string
}

// CleanupStale is Cleanup, counting what it removed; the run command calls
// it before every run and needs no more.
func (h *Host) CleanupStale() (int, error) {
	c, err := h.Cleanup()
	return len(c.Removed), err
}

// Cleanup removes the children of the own cgroup that memstorm left behind
// when it was killed, and only those. A child named memstorm-<pid>-<n> is
// removed when all of these hold:
//
//   - an ownership record (owner.go) names its directory and inode, so
//     memstorm made this very cgroup;
//   - the process that made it (PID and start time) is gone;
//   - every process in it is a memstorm worker (WorkerMark in its
//     environment), checked again before each SIGKILL.
//
// Anything else named like a child is left and listed in Left with why
// (no record, a record of another cgroup of that name, a running creator,
// a process that is not a worker): a stranger's cgroup and its processes
// are never touched. Records whose cgroup is gone are removed when their
// creator is gone too. Failures are joined into the error and the rest
// still tried.
func (h *Host) Cleanup() (Cleanup, error) {
	var c Cleanup
	entries, err := os.ReadDir(h.Dir())
	if err != nil {
		return c, fmt.Errorf("listing %s: %w", h.Dir(), err)
	}
	recs, bad, err := ownerRecords(h.ownerDir)
	if err != nil {
		return c, err
	}
	for _, file := range slices.Sorted(maps.Keys(bad)) {
		c.Left = append(c.Left, LeftAlone{Path: file, Why: "unreadable ownership record: " + bad[file]})
	}
	byPath := map[string][]ownerRecord{}
	for _, r := range recs {
		byPath[r.Cgroup] = append(byPath[r.Cgroup], r)
	}
	var errs []error
	used := map[string]bool{} // record files that name a live cgroup
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, ok := stalePID(e.Name()); !ok {
			continue
		}
		dir := filepath.Join(h.Dir(), e.Name())
		ino, err := dirInode(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("stat %s: %w", dir, err))
			continue
		}
		var rec *ownerRecord
		var others []string
		for i, r := range byPath[dir] {
			if r.Inode == ino {
				rec = &byPath[dir][i]
			} else {
				others = append(others, strconv.FormatUint(r.Inode, 10))
			}
		}
		switch {
		case rec == nil && len(others) > 0:
			c.Left = append(c.Left, LeftAlone{Path: dir, Why: fmt.Sprintf(
				"the ownership record of that name is of another cgroup (inode %s; this one is %d): not made by memstorm",
				strings.Join(others, ", "), ino)})
			continue
		case rec == nil:
			c.Left = append(c.Left, LeftAlone{Path: dir, Why: fmt.Sprintf(
				"no ownership record in %s: not made by memstorm (or by one older than ownership records)", h.ownerDir)})
			continue
		}
		used[rec.file] = true
		if creatorAlive(h.proc, *rec) {
			c.Left = append(c.Left, LeftAlone{Path: dir, Why: fmt.Sprintf("in use: memstorm pid %d, which made it, is running", rec.PID)})
			continue
		}
		if why, err := h.strangerIn(dir); err != nil {
			errs = append(errs, err)
			continue
		} else if why != "" {
			c.Left = append(c.Left, LeftAlone{Path: dir, Why: why})
			continue
		}
		g, err := h.loadChild(e.Name())
		if err != nil {
			errs = append(errs, fmt.Errorf("removing stale child: %w", err))
			continue
		}
		g.owner = rec.file
		killed, err := g.remove(h.onlyWorkers)
		if err != nil {
			errs = append(errs, fmt.Errorf("removing stale child: %w", err))
			continue
		}
		c.Removed = append(c.Removed, RemovedChild{Path: dir, CreatorPID: rec.PID, Killed: killed})
	}
	for _, r := range recs {
		if used[r.file] || creatorAlive(h.proc, r) {
			continue
		}
		ino, err := dirInode(r.Cgroup)
		if err == nil && ino == r.Inode {
			continue // a live cgroup outside this host's own (another memstorm's)
		}
		if err := os.Remove(r.file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing ownership record: %w", err))
			continue
		}
		c.Records++
	}
	return c, errors.Join(errs...)
}

// strangerIn returns why dir must be left alone when one of its processes
// is not a memstorm worker, "" when all are.
func (h *Host) strangerIn(dir string) (string, error) {
	pids, err := parseFile(filepath.Join(dir, "cgroup.procs"), parseProcs)
	if err != nil {
		return "", err
	}
	for _, pid := range pids {
		if err := h.onlyWorkers(pid); err != nil {
			return err.Error() + ": its processes are not memstorm's to kill", nil
		}
	}
	return "", nil
}

// onlyWorkers lets Cleanup kill pid only when it is a memstorm worker; a
// process that is gone passes (there is nothing to kill).
func (h *Host) onlyWorkers(pid int) error {
	ok, err := isWorker(h.proc, pid)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("pid %d (%s) cannot be shown to be a memstorm worker: %v", pid, h.comm(pid), err)
	case !ok:
		return fmt.Errorf("pid %d (%s) is not a memstorm worker (no %s in its environment)", pid, h.comm(pid), WorkerMark)
	}
	return nil
}

// comm is the command name of pid, for messages.
func (h *Host) comm(pid int) string {
	b, err := os.ReadFile(h.proc.Proc(pid).Path("comm"))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
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
