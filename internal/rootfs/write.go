package rootfs

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// WriteDir writes the root under dir, which must be empty or absent:
// directories, copies of the files, the symbolic links.
func (r *Root) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, e := range r.sorted() {
		p := filepath.Join(dir, e.Path)
		var err error
		switch e.Kind {
		case KindDir:
			if err = os.Mkdir(p, e.Mode.Perm()); err == nil {
				err = os.Chmod(p, e.Mode) // past the umask, with the sticky bit
			}
		case KindSymlink:
			err = os.Symlink(e.Target, p)
		case KindFile:
			err = copyFile(p, e.Source, e.Mode)
		}
		if err != nil {
			return fmt.Errorf("writing the root at %s: %w", dir, err)
		}
	}
	return nil
}

func copyFile(dst, src string, mode os.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = io.Copy(out, in)
	return err
}

// epoch is the modification time of every tar entry, so that the same
// files give the same layer (and digest) whenever it is built.
var epoch = time.Unix(0, 0).UTC()

// WriteTar writes the root as a tar stream (an image layer): entries owned
// by root, with the fixed time epoch.
func (r *Root) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, e := range r.sorted() {
		h := &tar.Header{Name: e.Path[1:], Mode: tarMode(e.Mode), ModTime: epoch, Format: tar.FormatPAX}
		switch e.Kind {
		case KindDir:
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case KindSymlink:
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.Target, 0o777
		case KindFile:
			fi, err := os.Stat(e.Source)
			if err != nil {
				return err
			}
			h.Typeflag, h.Size = tar.TypeReg, fi.Size()
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("writing %s to the layer: %w", e.Path, err)
		}
		if e.Kind == KindFile {
			if err := copyInto(tw, e.Source, h.Size); err != nil {
				return fmt.Errorf("writing %s to the layer: %w", e.Path, err)
			}
		}
	}
	return tw.Close()
}

// tarMode is the permission bits and the sticky bit of m, as tar keeps them.
func tarMode(m os.FileMode) int64 {
	mode := int64(m.Perm())
	if m&os.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

// copyInto copies exactly size bytes of src: a file that changed size
// since its header was written is an error, not a corrupt layer.
func copyInto(w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err == nil && n != size {
		err = fmt.Errorf("%s is %d bytes, was %d", src, n, size)
	}
	return err
}
