package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// SupervisorLeaf is the leaf cgroup that memstorm moves the processes of its
// own cgroup into on cgroup v2, so that the own cgroup can give the memory
// controller to the run's child: a cgroup that holds processes cannot (the
// "no internal processes" rule; writing +memory to its
// cgroup.subtree_control fails with EBUSY). runc and systemd do the same
// (systemd's DelegateSubgroup=, the init leaf of a container's entrypoint).
// The run's child is created beside the leaf; once the last child is gone
// the processes move back, memory is disabled again and the leaf is
// removed (restoreV2).
const SupervisorLeaf = "memstorm-supervisor"

// moveRounds bounds how often enableMemoryV2 rereads cgroup.procs for
// processes forked while it moved the others.
const moveRounds = 10

// delegateAdvice is what a user can do when the own cgroup cannot give
// memory to a child.
const delegateAdvice = "start memstorm in a cgroup of its own with memory delegated (systemd-run --scope -p Delegate=yes, Delegate=yes in a service, or a container), or use --cgroup current"

// enableMemoryV2 makes this process's own v2 cgroup give the memory
// controller to its children, then runs create, which makes the child.
// Nothing is needed when the own cgroup.subtree_control lists memory
// already or the cgroup is the hierarchy's root (exempt from the rule,
// isRootV2); else +memory is written, and when that fails with EBUSY
// because the cgroup holds processes, they are moved into SupervisorLeaf
// first. A failure names the cgroup, the cause and what to do, in one
// line, and leaves the processes where they were. create runs under the
// own cgroup's lock, so a restoreV2 of another memstorm sharing the cgroup
// cannot undo the delegation before the child exists.
func (h *Host) enableMemoryV2(create func() error) error {
	own := h.Dir()
	if isRootV2(own) {
		return create()
	}
	unlock, err := lockDir(own)
	if err != nil {
		return err
	}
	defer unlock()
	if err := h.delegateMemory(own); err != nil {
		return err
	}
	return create()
}

// delegateMemory is enableMemoryV2 without the lock and the child.
func (h *Host) delegateMemory(own string) error {
	control := filepath.Join(own, "cgroup.subtree_control")
	on, err := controllerEnabled(control, "memory")
	if err != nil {
		return err
	}
	if on {
		return nil
	}
	err = writeFile(control, "+memory")
	if err == nil || !errors.Is(err, unix.EBUSY) {
		if err != nil {
			return fmt.Errorf("enabling memory for children in %s: %w; %s", control, err, delegateAdvice)
		}
		return nil
	}
	leaf := filepath.Join(own, SupervisorLeaf)
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("memstorm's own cgroup %s holds processes, so cgroup v2 lets it give no memory controller to children, and making the leaf %s to move them into failed: %w; %s", own, leaf, err, delegateAdvice)
	}
	_, err = moveProcs(own, leaf)
	if err == nil {
		if err = writeFile(control, "+memory"); err != nil {
			err = fmt.Errorf("writing +memory to %s after moving its processes: %w", control, err)
		}
	}
	if err != nil {
		_, backErr := moveProcs(leaf, own)
		rmErr := os.Remove(leaf)
		if backErr != nil || (rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist)) {
			err = errors.Join(err, backErr, rmErr)
		}
		return fmt.Errorf("memstorm's own cgroup %s holds processes, so cgroup v2 lets it give no memory controller to children, and moving them into %s failed: %w; %s", own, leaf, err, delegateAdvice)
	}
	return nil
}

// restoreV2 undoes enableMemoryV2 once no child but the leaf is left in
// the own cgroup: memory is disabled in its cgroup.subtree_control, the
// leaf's processes move back and the leaf is removed. While another run's
// child is still there (a second memstorm in the same cgroup), it does
// nothing: the last one restores. Without a leaf there is nothing to undo.
func (h *Host) restoreV2() error {
	own := h.Dir()
	if isRootV2(own) {
		return nil
	}
	leaf := filepath.Join(own, SupervisorLeaf)
	if _, err := os.Lstat(leaf); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := lockDir(own)
	if err != nil {
		return err
	}
	defer unlock()
	ents, err := os.ReadDir(own)
	if err != nil {
		return fmt.Errorf("restoring %s: %w", own, err)
	}
	for _, e := range ents {
		if e.IsDir() && e.Name() != SupervisorLeaf {
			return nil // another child is still there
		}
	}
	if _, err := os.Lstat(leaf); errors.Is(err, fs.ErrNotExist) {
		return nil // another process restored it meanwhile
	}
	control := filepath.Join(own, "cgroup.subtree_control")
	// A hugetlb limit (Settings.HugeTLB) enabled hugetlb there too: a
	// domain controller, so it must go before the processes can return.
	if on, err := controllerEnabled(control, "hugetlb"); err == nil && on {
		if err := writeFile(control, "-hugetlb"); err != nil {
			return fmt.Errorf("restoring %s: writing -hugetlb to %s: %w", own, control, err)
		}
	}
	if err := writeFile(control, "-memory"); err != nil {
		return fmt.Errorf("restoring %s: writing -memory to %s: %w", own, control, err)
	}
	if _, err := moveProcs(leaf, own); err != nil {
		return fmt.Errorf("restoring %s: moving the processes of %s back: %w", own, leaf, err)
	}
	if err := os.Remove(leaf); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restoring %s: removing %s: %w", own, leaf, err)
	}
	return nil
}

// isRootV2 reports whether dir is the root of a cgroup v2 hierarchy, which
// the no-internal-processes rule exempts: the one cgroup without a
// cgroup.type file. A container's own cgroup seen through a cgroup
// namespace is "/" in /proc/self/cgroup, yet not the root: it has the file.
func isRootV2(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, "cgroup.type"))
	return errors.Is(err, fs.ErrNotExist)
}

// moveProcs moves every process listed in from/cgroup.procs into
// to/cgroup.procs, rereading the list until it is empty (a process forked
// meanwhile is listed in from). A process that exits meanwhile (ESRCH) is
// not an error. It returns the PIDs moved.
func moveProcs(from, to string) ([]int, error) {
	var moved []int
	procs := filepath.Join(to, "cgroup.procs")
	for range moveRounds {
		pids, err := parseFile(filepath.Join(from, "cgroup.procs"), parseProcs)
		if err != nil {
			return moved, err
		}
		if len(pids) == 0 {
			return moved, nil
		}
		for _, pid := range pids {
			err := writeFile(procs, strconv.Itoa(pid))
			if err != nil && !errors.Is(err, unix.ESRCH) {
				return moved, fmt.Errorf("moving pid %d to %s: %w", pid, procs, err)
			}
			if err == nil && !slices.Contains(moved, pid) {
				moved = append(moved, pid)
			}
		}
	}
	return moved, fmt.Errorf("%s/cgroup.procs still lists processes after %d rounds of moving them", from, moveRounds)
}

// controllerEnabled reports whether the controllers file (cgroup.controllers
// or cgroup.subtree_control) lists name.
func controllerEnabled(file, name string) (bool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", file, err)
	}
	return slices.Contains(strings.Fields(string(b)), name), nil
}

// writeFile writes s to an existing cgroup interface file in one write(2),
// returning the kernel's error as is (EBUSY, ESRCH) inside a PathError.
func writeFile(file, s string) error {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(s)
	return errors.Join(werr, f.Close())
}

// lockDir takes an exclusive flock(2) on dir, so two memstorm processes
// sharing a cgroup do not move its processes at once, and returns its
// release.
func lockDir(dir string) (func(), error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s to lock it: %w", dir, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return func() { unix.Close(fd) }, nil
}
