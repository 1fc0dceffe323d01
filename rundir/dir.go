package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Dir is a run directory opened for writing. Every file in it is created
// through the directory's own descriptor with O_EXCL|O_NOFOLLOW: nothing
// that was there before (a file, or a symbolic link planted between the
// check and the write) is ever followed or overwritten.
type Dir struct {
	path string
	fd   int
}

// Create makes the run directory path (its parents as needed) and opens
// it. An existing directory is accepted only when it is empty and is a
// directory itself, not a link to one.
func Create(path string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating run directory %s: %w", path, err)
	}
	if err := os.Mkdir(path, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("creating run directory %s: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening run directory %s: %w", path, err)
	}
	d := &Dir{path: path, fd: fd}
	// Read the entries through a second descriptor of the same directory
	// (an os.File closes the descriptor it owns).
	lfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("reading run directory %s: %w", path, err)
	}
	list := os.NewFile(uintptr(lfd), path)
	names, _ := list.Readdirnames(1) // io.EOF for an empty directory
	list.Close()
	if len(names) > 0 {
		d.Close()
		return nil, fmt.Errorf("run directory %s is not empty", path)
	}
	return d, nil
}

// Path is the directory's path.
func (d *Dir) Path() string { return d.path }

// Create creates the file name in the directory, which must not exist.
func (d *Dir) Create(name string) (*os.File, error) {
	if name != filepath.Base(name) || name == "." || name == ".." {
		return nil, fmt.Errorf("creating %q in %s: not a plain file name", name, d.path)
	}
	fd, err := unix.Openat(d.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Join(d.path, name), err)
	}
	return os.NewFile(uintptr(fd), filepath.Join(d.path, name)), nil
}

// WriteFile creates name and writes data to it.
func (d *Dir) WriteFile(name string, data []byte) error {
	f, err := d.Create(name)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return nil
}

// Close releases the directory's descriptor.
func (d *Dir) Close() error {
	if d.fd < 0 {
		return nil
	}
	err := unix.Close(d.fd)
	d.fd = -1
	return err
}

// WorkerLog is the name of the log of worker process i of n.
func WorkerLog(i, n int) string {
	if n > 1 {
		return fmt.Sprintf("worker-%d.log", i)
	}
	return "worker.log"
}
