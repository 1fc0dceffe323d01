package rundir

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/memstorm/memstorm/units"
	"golang.org/x/sys/unix"
)

// What a reader accepts from a run directory. A run directory is input:
// `memstorm report` and `compare` are pointed at directories that were
// copied, edited or planted, so every file is read within a bound, and one
// past it is refused with an InputError rather than read until memory runs
// out. The bounds are far above what a run writes.
const (
	// MaxSummaryBytes bounds summary.json. A summary is a few KiB plus
	// about 300 bytes per phase run: 64 MiB holds some 200,000 phase runs.
	MaxSummaryBytes = 64 << 20
	// MaxScenarioBytes bounds scenario.yaml, the scenario text as it ran.
	MaxScenarioBytes = 16 << 20
	// MaxEventsBytes, MaxEventLines and MaxEventLineBytes bound
	// events.jsonl: two events per phase run plus a few, each under 1 KiB.
	MaxEventsBytes    = 512 << 20
	MaxEventLines     = 4_000_000
	MaxEventLineBytes = 1 << 20
	// MaxSampleLines bounds samples.csv in lines (header, rows and blank
	// lines alike): 20 million rows are 5.5 hours at 1 kHz, 4.6 days at
	// the default 20 ms interval. A file over ReduceAboveBytes is read
	// through a reducer (reduce.go), so memory does not grow with the rows;
	// the bound is one of time (about 1 s per million rows on one core).
	MaxSampleLines = 20_000_000
	// MaxSampleRecordBytes bounds one record of samples.csv (a row is
	// about 200 bytes; a quoted phase name may make it longer).
	MaxSampleRecordBytes = 64 << 10
	// MaxSamplesBytes bounds samples.csv in bytes: MaxSampleLines rows of
	// a generous 400 bytes.
	MaxSamplesBytes = 8 << 30
	// maxPhaseNameBytes bounds the distinct phase names of samples.csv
	// taken together (a million repetitions of "phase#123456" is 12 MiB).
	maxPhaseNameBytes = 64 << 20
)

// ErrNotRunDir is wrapped by the InputError for a directory that holds
// neither summary.json nor samples.csv.
var ErrNotRunDir = errors.New("not a memstorm run directory")

// InputError is a file of a run directory that is not what memstorm writes:
// missing, a symbolic link or special file, too large, or malformed. It is
// bad input (the command line exits 2), not a failure of memstorm. Its text
// is "FILE:LINE:COL: what", with LINE and COL where they are known.
type InputError struct {
	Path string // the file (or the directory, for ErrNotRunDir)
	Line int    // 1-based; 0 when the error is about the whole file
	Col  int    // 1-based; 0 when unknown
	Err  error
}

func (e *InputError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Col, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the cause, so that errors.Is(err, fs.ErrNotExist) holds
// for a missing file.
func (e *InputError) Unwrap() error { return e.Err }

// inputErrorf is an InputError at line (0: the whole file).
func inputErrorf(path string, line int, format string, args ...any) *InputError {
	return &InputError{Path: path, Line: line, Err: fmt.Errorf(format, args...)}
}

// openDir opens a run directory for reading files below it by name.
func openDir(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &InputError{Path: dir, Err: err}
	}
	return fd, nil
}

// openRegular opens name below the directory dirfd (whose path is dir) for
// reading. It never follows a symbolic link and never opens anything but a
// regular file (a link to /dev/zero, a FIFO or a device would be read
// forever, or block): the entry is checked with lstat first, opened with
// O_NOFOLLOW|O_NONBLOCK (a FIFO put there in between does not block the
// open), and checked again with fstat. A file larger than max is refused.
// Every refusal is an InputError; a missing file wraps fs.ErrNotExist.
func openRegular(dirfd int, dir, name string, max int64) (*os.File, int64, error) {
	path := filepath.Join(dir, name)
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, 0, &InputError{Path: path, Err: err}
	}
	if err := regular(path, &st, max); err != nil {
		return nil, 0, err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ELOOP) {
		return nil, 0, inputErrorf(path, 0, "is a symbolic link; a run directory holds only regular files")
	}
	if err != nil {
		return nil, 0, &InputError{Path: path, Err: err}
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, 0, fmt.Errorf("%s: fstat: %w", path, err)
	}
	if err := regular(path, &st, max); err != nil {
		unix.Close(fd)
		return nil, 0, err
	}
	// Back to blocking reads; O_NONBLOCK means nothing for a regular file,
	// but the file is handed on as an ordinary one.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), st.Size, nil
}

// regular refuses what is not a regular file of at most max bytes.
func regular(path string, st *unix.Stat_t, max int64) error {
	if kind := st.Mode & unix.S_IFMT; kind != unix.S_IFREG {
		return inputErrorf(path, 0, "is %s, not a regular file; a run directory holds only regular files", fileKind(kind))
	}
	if st.Size > max {
		return inputErrorf(path, 0, "is %d bytes, more than the %s a run directory's %s may be",
			st.Size, units.FormatBytes(max), filepath.Base(path))
	}
	return nil
}

func fileKind(kind uint32) string {
	switch kind {
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFIFO:
		return "a named pipe"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFDIR:
		return "a directory"
	}
	return fmt.Sprintf("a file of type %#o", kind)
}

// readAllBounded reads r to the end, refusing more than max bytes (a file
// that grew after its size was checked).
func readAllBounded(r io.Reader, path string, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, inputErrorf(path, 0, "is more than the %s a run directory's %s may be", units.FormatBytes(max), filepath.Base(path))
	}
	return b, nil
}

// boundedReader reads at most max bytes and then fails with an InputError
// rather than returning io.EOF, so a file that grows while it is read is
// refused instead of cut short.
type boundedReader struct {
	r    io.Reader
	left int64
	path string
	max  int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a file of exactly max bytes from a longer one.
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			return 0, inputErrorf(b.path, 0, "is more than the %s a run directory's %s may be", units.FormatBytes(b.max), filepath.Base(b.path))
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// lineCol returns the 1-based line and column of byte offset off in b.
func lineCol(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// isNotExist reports whether err says a file is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
