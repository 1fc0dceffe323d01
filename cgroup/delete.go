package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// emptyTimeout bounds how long Delete waits for SIGKILLed processes to leave
// the group. Exit of a process whose memory is being reclaimed can take a
// moment; a group still populated after this is reported, not waited on forever.
const emptyTimeout = 10 * time.Second

// Delete removes a child group. Processes still in it are SIGKILLed by PID
// (read from cgroup.procs, so nothing outside the group can be hit) until the
// group is empty, then the directory is removed. The open files are closed.
// Deleting a deleted group is a no-op. A current group returns ErrReadOnly.
func (g *Group) Delete() error {
	if g.mode != ModeChild {
		return fmt.Errorf("deleting %s: %w", g.dir, ErrReadOnly)
	}
	closeErr := g.Close()
	if _, err := os.Lstat(g.dir); errors.Is(err, fs.ErrNotExist) {
		return closeErr // already deleted: Delete is idempotent
	}
	if err := killAll(g.dir, emptyTimeout); err != nil {
		return errors.Join(err, closeErr)
	}
	var err error
	switch {
	case g.v1 != nil:
		err = g.v1.Delete()
	case g.v2 != nil:
		err = g.v2.Delete()
	default:
		err = os.Remove(g.dir)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errors.Join(fmt.Errorf("removing %s: %w", g.dir, err), closeErr)
	}
	if _, err := os.Lstat(g.dir); !errors.Is(err, fs.ErrNotExist) {
		return errors.Join(fmt.Errorf("removing %s: directory still present (%v)", g.dir, err), closeErr)
	}
	return closeErr
}

// killAll SIGKILLs every PID listed in dir/cgroup.procs and waits until the
// list is empty or timeout passes. A missing directory counts as empty.
func killAll(dir string, timeout time.Duration) error {
	procsPath := filepath.Join(dir, "cgroup.procs")
	deadline := time.Now().Add(timeout)
	for {
		pids, err := parseFile(procsPath, parseProcs)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still lists pids %v after SIGKILL and %v", procsPath, pids, timeout)
		}
		for _, pid := range pids {
			if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("killing pid %d of %s: %w", pid, dir, err)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}
