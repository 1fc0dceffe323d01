package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/memstorm/memstorm/rundir"
)

// Write writes m as root/bundle.json, atomically: a reader never sees half
// a manifest, and a bundle without one is not yet a bundle.
func Write(root string, m *Manifest) error {
	m.Format = Format
	if err := m.check(); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(root, ManifestFile), err)
	}
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(filepath.Join(root, ManifestFile), b.Bytes())
}

// Pack writes the bundle at root as a gzipped tarball at dst, its entries
// named relative to root (bundle.json at the top), in lexical order. It
// packs the data, not what is rendered from it: figures and pages (.png,
// .svg, .html) stay out, since `memstorm report DIR` renders any run
// again, and they are most of a bundle's bytes (900 KiB of 1 MiB for two
// small runs). It packs only regular files and directories: a bundle
// memstorm wrote has nothing else, and anything else is an error naming
// it. dst is written beside itself first and renamed into place.
func Pack(root, dst string) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp*")
	if err != nil {
		return fmt.Errorf("packing %s: %w", root, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	zw := gzip.NewWriter(tmp)
	tw := tar.NewWriter(zw)
	werr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			return fmt.Errorf("%s is not a regular file or directory; a bundle holds only those", p)
		}
		if !info.IsDir() && Rendered(p) {
			return nil
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if info.IsDir() {
			hdr.Name += "/"
			return tw.WriteHeader(hdr)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.CopyN(tw, f, hdr.Size)
		return err
	})
	err = errors.Join(werr, tw.Close(), zw.Close(), tmp.Close())
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return fmt.Errorf("packing %s into %s: %w", root, dst, err)
	}
	return nil
}

// Rendered reports whether the file at p is rendered from a run's data
// (a figure or a page) rather than data: Pack leaves it out.
func Rendered(p string) bool {
	switch filepath.Ext(p) {
	case ".png", ".svg", ".html":
		return true
	}
	return false
}

// WriteDone writes resultsDir/done naming the file a Sonobuoy worker
// sidecar is to send (the bundle's tarball), as an absolute path. It is
// written last and atomically: the sidecar may read it the moment it
// appears.
func WriteDone(resultsDir, result string) error {
	abs, err := filepath.Abs(result)
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(resultsDir, DoneFile), err)
	}
	return rundir.WriteFileAtomic(filepath.Join(resultsDir, DoneFile), []byte(abs))
}
