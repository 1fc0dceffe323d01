package cgroup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/procfs"
)

// Ownership records: how memstorm knows which cgroups are its own.
//
// A cgroup's name proves nothing: anyone can make memstorm-999999-1, and
// cgroupfs takes no files but its own, so a mark cannot live inside the
// cgroup. NewChild therefore writes a record outside it, in OwnerDir (on
// /run, a tmpfs that is emptied at boot, as the cgroup tree is), naming
// the cgroup's directory, the inode of that directory and the process
// that made it (PID and start time, which together name one process
// forever: a reused PID has another start time). Group.Delete removes the
// record after the directory. A cgroup is provably memstorm's only when a
// record names its path and its inode: another cgroup made later under the
// same name has another inode.
//
// The record is written by root into a directory only root can write
// (0700), so no other user can forge one. It costs one small file per
// live run; a crash leaves it behind, and Cleanup removes it.

// DefaultOwnerDir is where root's memstorm keeps its ownership records.
// Another user's goes below $XDG_RUNTIME_DIR (ownerDirFor).
const DefaultOwnerDir = "/run/memstorm/cgroups"

// maxOwnerRecord bounds the read of one record (they are ~200 bytes).
const maxOwnerRecord = 64 << 10

// ownerRecord is one file in the owner directory.
type ownerRecord struct {
	Cgroup     string `json:"cgroup"`      // the child's directory
	Inode      uint64 `json:"inode"`       // of that directory
	PID        int    `json:"pid"`         // the memstorm process that made it
	StartTicks uint64 `json:"start_ticks"` // that process's start, /proc/<pid>/stat field 22

	file string // where the record is; not written
}

// ownerDirFor returns where this process keeps ownership records below
// roots: DefaultOwnerDir for root, $XDG_RUNTIME_DIR/memstorm/cgroups for
// another user, "" when there is no such place (NewChild then refuses).
func ownerDirFor(roots Roots) string {
	if os.Geteuid() == 0 {
		return roots.Path(DefaultOwnerDir)
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "memstorm", "cgroups")
	}
	return ""
}

// OwnerDir returns the directory of this host's ownership records ("" for
// a user without one: NewChild refuses to create children then).
func (h *Host) OwnerDir() string { return h.ownerDir }

// recordOwner writes the ownership record of the child g, made by this
// process: a temporary file renamed into place, so a reader never sees half
// of one.
func (h *Host) recordOwner(g *Group) error {
	if h.ownerDir == "" {
		return errors.New("no directory for ownership records: not root, and XDG_RUNTIME_DIR is unset")
	}
	var st unix.Stat_t
	if err := unix.Stat(g.dir, &st); err != nil {
		return fmt.Errorf("stat %s: %w", g.dir, err)
	}
	self, err := h.proc.Proc(os.Getpid()).Stat()
	if err != nil {
		return fmt.Errorf("reading this process's start time: %w", err)
	}
	rec := ownerRecord{Cgroup: g.dir, Inode: st.Ino, PID: os.Getpid(), StartTicks: self.StartTimeTicks}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(h.ownerDir, 0o700); err != nil {
		return err
	}
	name := filepath.Base(g.dir) + "." + strconv.FormatUint(st.Ino, 10)
	f, err := os.CreateTemp(h.ownerDir, "."+name+".tmp*")
	if err != nil {
		return err
	}
	_, werr := f.Write(append(b, '\n'))
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(f.Name())
		return err
	}
	file := filepath.Join(h.ownerDir, name)
	if err := os.Rename(f.Name(), file); err != nil {
		os.Remove(f.Name())
		return err
	}
	g.owner = file
	return nil
}

// ownerRecords reads every record in dir. A file that is not a record (a
// temporary file, or one that does not parse) is returned in bad with why;
// it proves nothing and is left alone.
func ownerRecords(dir string) (recs []ownerRecord, bad map[string]string, err error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("listing ownership records in %s: %w", dir, err)
	}
	bad = map[string]string{}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue // a record being written
		}
		file := filepath.Join(dir, e.Name())
		rec, err := readOwnerRecord(file)
		if err != nil {
			bad[file] = err.Error()
			continue
		}
		recs = append(recs, rec)
	}
	return recs, bad, nil
}

// readOwnerRecord reads one record, refusing anything but a small regular
// file.
func readOwnerRecord(file string) (ownerRecord, error) {
	var rec ownerRecord
	f, err := os.OpenFile(file, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return rec, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return rec, fmt.Errorf("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxOwnerRecord))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("not an ownership record: %v", err)
	}
	if rec.Cgroup == "" || rec.Inode == 0 || rec.PID <= 0 {
		return rec, errors.New("not an ownership record: cgroup, inode or pid missing")
	}
	rec.file = file
	return rec, nil
}

// creatorAlive reports whether the process that wrote rec is still
// running: its PID is alive with the recorded start time. When the start
// time cannot be read (a zombie, a process of another user's PID
// namespace) a live PID counts as the creator: a live run's cgroup is
// never removed on a guess.
func creatorAlive(proc procfs.FS, rec ownerRecord) bool {
	if !alive(rec.PID) {
		return false
	}
	st, err := proc.Proc(rec.PID).Stat()
	if err != nil {
		return true
	}
	return st.StartTimeTicks == rec.StartTicks
}

// alive reports whether a process with this PID exists (kill(pid, 0);
// EPERM means it exists but belongs to someone else).
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// dirInode is the inode of dir, 0 when it cannot be read.
func dirInode(dir string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}
