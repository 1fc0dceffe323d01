package stress

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
)

// The directories of the file backends (alloc/ops_file.c): via: file
// writes page cache into a file of $TMPDIR (else /tmp), which must be a
// disk filesystem for its pages to be reclaimable; via: tmpfs into one of
// /dev/shm, which must be tmpfs. shm_open(3) makes its objects in
// /dev/shm too.
const shmDir = "/dev/shm"

// fileDir is the directory of via: file.
func fileDir() string { return os.TempDir() }

// usedVias lists the backends the scenario's allocate steps use.
func usedVias(sc *scenarios.Scenario) map[scenarios.Via]bool {
	used := map[scenarios.Via]bool{}
	for _, st := range sc.Steps() {
		if a := st.Phase.Allocate; a != nil {
			used[a.Via] = true
		}
	}
	return used
}

// checkFileDirs refuses a scenario whose file backend would not measure
// what it says: via: file in a directory on tmpfs or ramfs (its pages
// would be shared memory, never reclaimed), via: tmpfs or shm where
// /dev/shm is not tmpfs.
func checkFileDirs(sc *scenarios.Scenario) error {
	used := usedVias(sc)
	if used[scenarios.ViaFile] {
		dir := fileDir()
		var st unix.Statfs_t
		if err := unix.Statfs(dir, &st); err != nil {
			return usageErr("via: file writes its file in %s ($TMPDIR, else /tmp): %v", dir, err)
		}
		if st.Type == unix.TMPFS_MAGIC || st.Type == unix.RAMFS_MAGIC {
			return usageErr("via: file needs a disk filesystem for page cache, and %s ($TMPDIR, else /tmp) is on tmpfs: set TMPDIR to a directory on disk", dir)
		}
	}
	if used[scenarios.ViaTmpfs] || used[scenarios.ViaShm] {
		var st unix.Statfs_t
		if err := unix.Statfs(shmDir, &st); err != nil || st.Type != unix.TMPFS_MAGIC {
			return usageErr("via: tmpfs and via: shm need %s mounted as tmpfs (statfs: type %#x, %v)", shmDir, st.Type, err)
		}
	}
	return nil
}

// sweepFiles removes, once the workers have ended, any name a file backend
// left: a worker killed between making a name and unlinking it (a few
// instructions) leaves memstorm-PID-N in the file directory or /dev/shm.
// What it removes is told in an event; a name it cannot remove is a
// harness failure.
func (s *supervisor) sweepFiles() {
	used := usedVias(s.sc)
	if !used[scenarios.ViaFile] && !used[scenarios.ViaTmpfs] && !used[scenarios.ViaShm] {
		return
	}
	for _, p := range s.procs {
		if p.cmd == nil || p.cmd.Process == nil || !p.exited {
			continue
		}
		for _, dir := range []string{fileDir(), shmDir} {
			names, _ := filepath.Glob(filepath.Join(dir, "memstorm-"+strconv.Itoa(p.cmd.Process.Pid)+"-*"))
			for _, n := range names {
				if err := os.Remove(n); err != nil {
					s.harnessFailed("removing "+n, err)
					continue
				}
				s.event(rundir.Event{Kind: "removed", Detail: fmt.Sprintf("%s, left by worker %d", n, p.cmd.Process.Pid)})
			}
		}
	}
}
