package procfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ProcessReader samples one process's status, stat and smaps_rollup on the
// hot path. It opens the files once and re-reads them with pread(2) at
// offset 0 into buffers it reuses, so a read costs one syscall and no
// allocation. The open file descriptors stay bound to the process they were
// opened for: a recycled PID is never read by mistake.
//
// A ProcessReader is not safe for concurrent use. Close it when done.
type ProcessReader struct {
	pid                 int
	status, stat, smaps procFile
}

// procFile is one open /proc file with its read buffer.
type procFile struct {
	path    string
	fd      int   // -1 when closed or not opened
	openErr error // why the file could not be opened, returned by every read
	buf     []byte
}

// NewProcessReader opens the per-process files of pid. A pid that does not
// exist gives an error wrapping ErrProcessGone and fs.ErrNotExist. A missing
// smaps_rollup (kernels before 4.14) is not fatal here; SmapsRollup returns
// the open error.
func (fsys FS) NewProcessReader(pid int) (*ProcessReader, error) {
	return fsys.Proc(pid).newReader(pid)
}

// NewReader is NewProcessReader for an already chosen process directory,
// e.g. fs.Self(). PID reports 0 for such a reader.
func (p Proc) NewReader() (*ProcessReader, error) {
	return p.newReader(0)
}

func (p Proc) newReader(pid int) (*ProcessReader, error) {
	r := &ProcessReader{pid: pid}
	var err error
	if r.status, err = openProcFile(p.Path("status"), 4096); err != nil {
		return nil, err
	}
	if r.stat, err = openProcFile(p.Path("stat"), 1024); err != nil {
		r.status.close()
		return nil, err
	}
	r.smaps, err = openProcFile(p.Path("smaps_rollup"), 2048)
	if err != nil {
		if errors.Is(err, ErrProcessGone) {
			r.Close()
			return nil, err
		}
		r.smaps = procFile{path: p.Path("smaps_rollup"), fd: -1, openErr: err}
	}
	return r, nil
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

// PID is the process this reader samples (0 for a reader from Proc.NewReader).
func (r *ProcessReader) PID() int { return r.pid }

// Status re-reads /proc/<pid>/status into s. After the process exits (a
// zombie, or reaped) it returns an error wrapping ErrProcessGone. On any
// error *s is zero.
func (r *ProcessReader) Status(s *Status) error {
	b, err := r.status.read()
	if err != nil {
		*s = Status{}
		return err
	}
	if err := parseStatus(b, s); err != nil {
		return fmt.Errorf("reading %s: %w", r.status.path, err)
	}
	return nil
}

// Stat re-reads /proc/<pid>/stat into s; ErrProcessGone as for Status.
func (r *ProcessReader) Stat(s *Stat) error {
	b, err := r.stat.read()
	if err != nil {
		*s = Stat{}
		return err
	}
	if err := parseStat(b, s); err != nil {
		return fmt.Errorf("reading %s: %w", r.stat.path, err)
	}
	return nil
}

// SmapsRollup re-reads /proc/<pid>/smaps_rollup into s; ErrProcessGone as
// for Status. Its cost grows with the process's resident size, unlike
// Status and Stat: see BenchmarkSmapsRollupByRSS before sampling it often.
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

// Close closes the files. Reads after Close fail with os.ErrClosed.
func (r *ProcessReader) Close() error {
	return errors.Join(r.status.close(), r.stat.close(), r.smaps.close())
}
