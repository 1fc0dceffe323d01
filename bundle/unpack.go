package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/memstorm/memstorm/rundir"
	"golang.org/x/sys/unix"
)

// Bounds of a tarball.
const (
	// MaxTarBytes bounds the bytes a tarball unpacks to (a bomb of zeros
	// compresses a thousandfold): a bundle of a few runs is some MiB.
	MaxTarBytes = 1 << 30
	// MaxTarEntries bounds its entries: a run directory has about ten.
	MaxTarEntries = 100_000
	// MaxTarFileBytes bounds one tarball file read as input.
	MaxTarFileBytes = 1 << 30
)

// Unpack unpacks the tarball at src (gzipped or not) into the empty
// directory dst; shown is how errors name src. It accepts only regular
// files and directories whose names are local paths, each once, within
// MaxTarBytes and MaxTarEntries; anything else is an InputError naming
// the tarball and the entry. Files are created with O_EXCL|O_NOFOLLOW, so
// nothing outside dst is ever written.
func Unpack(src, shown, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return &rundir.InputError{Path: shown, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", shown, err)
	}
	if !st.Mode().IsRegular() {
		return &rundir.InputError{Path: shown, Err: errors.New("is not a regular file")}
	}
	if st.Size() > MaxTarFileBytes {
		return &rundir.InputError{Path: shown, Err: fmt.Errorf("is %d bytes, more than the %d a bundle tarball may be", st.Size(), MaxTarFileBytes)}
	}
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return &rundir.InputError{Path: shown, Err: fmt.Errorf("not a gzip file: %v", err)}
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	var total int64
	seen := map[string]bool{}
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return &rundir.InputError{Path: shown, Err: errors.New("is an empty tarball")}
			}
			return nil
		}
		if err != nil {
			return &rundir.InputError{Path: shown, Err: fmt.Errorf("not a tarball: %v", err)}
		}
		if n >= MaxTarEntries {
			return &rundir.InputError{Path: shown, Err: fmt.Errorf("has more than %d entries", MaxTarEntries)}
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name := path.Clean(hdr.Name)
		if !filepath.IsLocal(name) {
			return &rundir.InputError{Path: shown + ":" + hdr.Name, Err: errors.New("is not a local path; a bundle's entries are relative to its root")}
		}
		if seen[name] {
			return &rundir.InputError{Path: shown + ":" + name, Err: errors.New("appears twice in the tarball")}
		}
		seen[name] = true
		out := filepath.Join(dst, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("unpacking %s:%s: %w", shown, name, err)
			}
		case tar.TypeReg:
			if total += hdr.Size; hdr.Size < 0 || total > MaxTarBytes {
				return &rundir.InputError{Path: shown, Err: fmt.Errorf("unpacks to more than %d bytes", MaxTarBytes)}
			}
			rd := &taggedReader{r: tr}
			if err := writeEntry(out, rd, hdr.Size); err != nil {
				if rd.err != nil {
					return &rundir.InputError{Path: shown + ":" + name, Err: fmt.Errorf("cut short or corrupt: %v", rd.err)}
				}
				return fmt.Errorf("unpacking %s:%s: %w", shown, name, err)
			}
		default:
			return &rundir.InputError{Path: shown + ":" + name, Err: fmt.Errorf("is %s; a bundle holds only regular files and directories", kindOf(hdr.Typeflag))}
		}
	}
}

// writeEntry creates out (which must not exist) and copies size bytes into it.
func writeEntry(out string, r io.Reader, size int64) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(out, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), out)
	_, err = io.CopyN(f, r, size)
	return errors.Join(err, f.Close())
}

// taggedReader remembers a read error, to tell a corrupt tarball (bad
// input) from a failure to write the unpacked file (memstorm's).
type taggedReader struct {
	r   io.Reader
	err error
}

func (t *taggedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		t.err = err
	}
	return n, err
}

// kindOf names a tar entry type.
func kindOf(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "a symbolic link"
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeChar:
		return "a character device"
	case tar.TypeBlock:
		return "a block device"
	case tar.TypeFifo:
		return "a named pipe"
	}
	return fmt.Sprintf("an entry of type %q", t)
}
