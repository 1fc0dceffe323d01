package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// emptyTimeout bounds how long Delete waits for SIGKILLed processes to leave
// the group. Exit of a process whose memory is being reclaimed can take a
// moment; a group still populated after this is reported, not waited on forever.
const emptyTimeout = 10 * time.Second

// Delete removes a child group. Processes still in it are SIGKILLed by PID
// (read from cgroup.procs, so nothing outside the group can be hit) until the
// group is empty, then the directory is removed, then its ownership record
// (owner.go). The open files are closed. Deleting a deleted group is a
// no-op. A current group returns ErrReadOnly.
func (g *Group) Delete() error {
	_, err := g.remove(nil)
	return err
}

// remove is Delete, asking allow (when not nil) before each SIGKILL: an
// error from it stops the removal, and the group stays. It returns the
// PIDs it killed.
func (g *Group) remove(allow func(pid int) error) ([]int, error) {
	if g.mode != ModeChild {
		return nil, fmt.Errorf("deleting %s: %w", g.dir, ErrReadOnly)
	}
	closeErr := g.Close()
	if _, err := os.Lstat(g.dir); errors.Is(err, fs.ErrNotExist) {
		return nil, errors.Join(closeErr, g.removeOwner(), g.restoreOwn()) // already deleted: Delete is idempotent
	}
	killed, err := killAll(g.dir, emptyTimeout, allow)
	if err != nil {
		return killed, errors.Join(err, closeErr)
	}
	switch {
	case g.v1 != nil:
		err = g.v1.Delete()
	case g.v2 != nil:
		err = g.v2.Delete()
	default:
		err = os.Remove(g.dir)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return killed, errors.Join(fmt.Errorf("removing %s: %w", g.dir, err), closeErr)
	}
	if _, err := os.Lstat(g.dir); !errors.Is(err, fs.ErrNotExist) {
		return killed, errors.Join(fmt.Errorf("removing %s: directory still present (%v)", g.dir, err), closeErr)
	}
	return killed, errors.Join(closeErr, g.removeOwner(), g.restoreOwn())
}

// restoreOwn gives the own cgroup back its processes once the child is
// gone, when making the child moved them into a leaf (leaf.go). It runs
// once.
func (g *Group) restoreOwn() error {
	if g.restore == nil {
		return nil
	}
	err := g.restore()
	g.restore = nil
	return err
}

// removeOwner removes the group's ownership record, once its directory is
// gone.
func (g *Group) removeOwner() error {
	if g.owner == "" {
		return nil
	}
	if err := os.Remove(g.owner); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the ownership record of %s: %w", g.dir, err)
	}
	g.owner = ""
	return nil
}

// killAll SIGKILLs every PID listed in dir/cgroup.procs and waits until the
// list is empty or timeout passes. When allow is not nil it is asked first
// for each PID, every round, and its error stops the kill. A missing
// directory counts as empty. It returns the PIDs it signalled.
func killAll(dir string, timeout time.Duration, allow func(pid int) error) ([]int, error) {
	procsPath := filepath.Join(dir, "cgroup.procs")
	deadline := time.Now().Add(timeout)
	var killed []int
	for {
		pids, err := parseFile(procsPath, parseProcs)
		if errors.Is(err, fs.ErrNotExist) {
			return killed, nil
		}
		if err != nil {
			return killed, err
		}
		if len(pids) == 0 {
			return killed, nil
		}
		if time.Now().After(deadline) {
			return killed, fmt.Errorf("%s still lists pids %v after SIGKILL and %v", procsPath, pids, timeout)
		}
		for _, pid := range pids {
			if allow != nil {
				if err := allow(pid); err != nil {
					return killed, fmt.Errorf("not killing the processes of %s: %w", dir, err)
				}
			}
			if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
				return killed, fmt.Errorf("killing pid %d of %s: %w", pid, dir, err)
			}
			if !slices.Contains(killed, pid) {
				killed = append(killed, pid)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}
