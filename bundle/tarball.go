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

	"github.com/memstorm/memstorm/rundir"
)

// Bounds of a tarball.
const (
	// MaxTarBytes bounds the bytes a tarball holds once unpacked (a bomb
	// of zeros compresses a thousandfold): a bundle of a few runs is some
	// MiB.
	MaxTarBytes = 1 << 30
	// MaxTarEntries bounds its entries: a run directory has about ten.
	MaxTarEntries = 100_000
	// MaxTarFileBytes bounds one tarball file read as input.
	MaxTarFileBytes = 1 << 30
)

// Tree is a tarball read into memory: its regular files by clean
// slash-separated name, and its directories (those it lists and the
// parents of its files).
type Tree struct {
	Files map[string][]byte
	Dirs  map[string]bool
	Bytes int64 // the files' bytes together
}

// ReadTarballFile reads the tarball at src (gzipped or not) into memory;
// shown is how errors name it. See ReadTarball.
func ReadTarballFile(src, shown string) (*Tree, error) {
	f, err := os.Open(src)
	if err != nil {
		return nil, &rundir.InputError{Path: shown, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown, err)
	}
	if !st.Mode().IsRegular() {
		return nil, &rundir.InputError{Path: shown, Err: errors.New("is not a regular file")}
	}
	if st.Size() > MaxTarFileBytes {
		return nil, &rundir.InputError{Path: shown, Err: fmt.Errorf("is %d bytes, more than the %d a bundle tarball may be", st.Size(), MaxTarFileBytes)}
	}
	return ReadTarball(f, shown)
}

// ReadTarball reads a tarball, gzipped or not, into memory; shown is how
// errors name it. It accepts only regular files and directories whose
// names are local paths, each once, within MaxTarBytes and MaxTarEntries:
// anything else, or a tarball cut short or corrupt, is an InputError
// naming the tarball and the entry. Nothing is written to disk.
func ReadTarball(r io.Reader, shown string) (*Tree, error) {
	br := bufio.NewReader(r)
	var in io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &rundir.InputError{Path: shown, Err: fmt.Errorf("not a gzip file: %v", err)}
		}
		defer zr.Close()
		in = zr
	}
	tr := tar.NewReader(in)
	t := &Tree{Files: map[string][]byte{}, Dirs: map[string]bool{}}
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return nil, &rundir.InputError{Path: shown, Err: errors.New("is an empty tarball")}
			}
			return t, nil
		}
		if err != nil {
			return nil, &rundir.InputError{Path: shown, Err: fmt.Errorf("not a tarball, or cut short: %v", err)}
		}
		if n >= MaxTarEntries {
			return nil, &rundir.InputError{Path: shown, Err: fmt.Errorf("has more than %d entries", MaxTarEntries)}
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name := path.Clean(hdr.Name)
		at := shown + ":" + name
		if !localName(name) {
			return nil, &rundir.InputError{Path: shown + ":" + hdr.Name, Err: errors.New("is not a local path; a bundle's entries are relative to its root")}
		}
		if _, ok := t.Files[name]; ok || t.Dirs[name] && hdr.Typeflag != tar.TypeDir {
			return nil, &rundir.InputError{Path: at, Err: errors.New("appears twice in the tarball")}
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			t.addDir(name)
		case tar.TypeReg:
			if t.Bytes += hdr.Size; hdr.Size < 0 || t.Bytes > MaxTarBytes {
				return nil, &rundir.InputError{Path: shown, Err: fmt.Errorf("unpacks to more than %d bytes", MaxTarBytes)}
			}
			b := make([]byte, hdr.Size)
			if _, err := io.ReadFull(tr, b); err != nil {
				return nil, &rundir.InputError{Path: at, Err: fmt.Errorf("cut short or corrupt: %v", err)}
			}
			t.Files[name] = b
			t.addDir(path.Dir(name))
		default:
			return nil, &rundir.InputError{Path: at, Err: fmt.Errorf("is %s; a bundle holds only regular files and directories", kindOf(hdr.Typeflag))}
		}
	}
}

// localName reports whether a clean slash-separated name stays below the
// tarball's root.
func localName(name string) bool {
	return name != "." && name != ".." && !path.IsAbs(name) && !hasDotDot(name)
}

func hasDotDot(name string) bool {
	for _, part := range bytes.Split([]byte(name), []byte("/")) {
		if string(part) == ".." {
			return true
		}
	}
	return false
}

// addDir records dir and its parents.
func (t *Tree) addDir(dir string) {
	for dir != "." && dir != "/" && !t.Dirs[dir] {
		t.Dirs[dir] = true
		dir = path.Dir(dir)
	}
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
