package procfs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// DefaultRoot is where the proc filesystem is mounted on a normal host.
const DefaultRoot = "/proc"

// DefaultFS reads the host's real /proc.
var DefaultFS = NewFS(DefaultRoot)

// FS is a proc filesystem rooted at a directory: /proc in production, a
// testdata tree in tests. The zero value is not usable; call [NewFS].
type FS struct {
	root string
}

// NewFS returns an FS whose files are read below root (e.g. "/proc").
func NewFS(root string) FS {
	return FS{root: root}
}

// Root is the directory this FS reads below.
func (fs FS) Root() string { return fs.root }

// Path joins elem to the root, e.g. fs.Path("sys", "vm", "overcommit_memory").
func (fs FS) Path(elem ...string) string {
	return filepath.Join(append([]string{fs.root}, elem...)...)
}

// Proc is one process's directory, /proc/<pid> or /proc/self.
type Proc struct {
	dir string
}

// Proc returns the directory of process pid.
func (fs FS) Proc(pid int) Proc {
	return Proc{dir: fs.Path(strconv.Itoa(pid))}
}

// Self returns /proc/self: the process that reads it.
func (fs FS) Self() Proc {
	return Proc{dir: fs.Path("self")}
}

// Path is the path of the named file in the process's directory.
func (p Proc) Path(name string) string {
	return filepath.Join(p.dir, name)
}

// readFile opens path and parses it, wrapping every error with the path. A
// process that is gone by the time of the open (ESRCH) adds ErrProcessGone.
func readFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("reading %s: %w", path, goneIfESRCH(err))
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return zero, fmt.Errorf("reading %s: %w", path, err)
	}
	return v, nil
}
