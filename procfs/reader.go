package procfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ProcessReader re-reads one process's smaps_rollup, the per-process file
// the supervisor reads between the samples of package sample (which reads
// status and stat itself, in C). It opens the file once and re-reads it with
// pread(2) at offset 0 into a buffer it reuses, so a read costs one syscall
// and no allocation. The open file descriptor stays bound to the process it
// was opened for: a recycled PID is never read by mistake.
//
// A ProcessReader is not safe for concurrent use. Close it when done.
type ProcessReader struct {
	smaps procFile
}

// procFile is one open /proc file with its read buffer.
type procFile struct {
	path    string
	fd      int   // -1 when closed or not opened
	openErr error // why the file could not be opened, returned by every read
	buf     []byte
}

// NewProcessReader opens /proc/<pid>/smaps_rollup. A pid that does not exist
// gives an error wrapping ErrProcessGone and fs.ErrNotExist; so does a kernel
// before 4.14, which has no smaps_rollup. Any other failure to open (e.g.
// EACCES) is not fatal here: SmapsRollup returns it.
func (fsys FS) NewProcessReader(pid int) (*ProcessReader, error) {
	return newProcessReader(fsys.Proc(pid))
}

func newProcessReader(p Proc) (*ProcessReader, error) {
	path := p.Path("smaps_rollup")
	f, err := openProcFile(path, 2048)
	if err != nil {
		if errors.Is(err, ErrProcessGone) {
			return nil, err
		}
		f = procFile{path: path, fd: -1, openErr: err}
	}
	return &ProcessReader{smaps: f}, nil
}

func openProcFile(path string, size int) (procFile, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		err = &os.PathError{Op: "open", Path: path, Err: err}
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			err = fmt.Errorf("%w: %w", ErrProcessGone, err)
		}
		return procFile{fd: -1}, err
	}
	return procFile{path: path, fd: fd, buf: make([]byte, size)}, nil
}

// read returns the whole file. seq_file regenerates the text on a read at
// offset 0 and hands out as much as fits, so a read that fills the buffer
// may be short: grow and read again.
func (f *procFile) read() ([]byte, error) {
	if f.openErr != nil {
		return nil, f.openErr
	}
	if f.fd < 0 {
		return nil, fmt.Errorf("reading %s: %w", f.path, os.ErrClosed)
	}
	for {
		n, err := unix.Pread(f.fd, f.buf, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ESRCH:
			return nil, fmt.Errorf("reading %s: %w: %w", f.path, ErrProcessGone, err)
		case err != nil:
			return nil, &os.PathError{Op: "pread", Path: f.path, Err: err}
		case n == 0:
			return nil, fmt.Errorf("reading %s: %w (empty read)", f.path, ErrProcessGone)
		case n < len(f.buf):
			return f.buf[:n], nil
		}
		f.buf = make([]byte, 2*len(f.buf))
	}
}

func (f *procFile) close() error {
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return err
}

// SmapsRollup re-reads /proc/<pid>/smaps_rollup into s. After the process
// exits (a zombie, or reaped) it returns an error wrapping ErrProcessGone. On
// any error *s is zero. Its cost grows with the process's resident size,
// unlike status: see BenchmarkSmapsRollupByRSS before sampling it often.
func (r *ProcessReader) SmapsRollup(s *SmapsRollup) error {
	b, err := r.smaps.read()
	if err != nil {
		*s = SmapsRollup{}
		return err
	}
	if err := parseSmapsRollup(b, s); err != nil {
		return fmt.Errorf("reading %s: %w", r.smaps.path, err)
	}
	return nil
}

// Close closes the file. Reads after Close fail with os.ErrClosed.
func (r *ProcessReader) Close() error {
	return r.smaps.close()
}
