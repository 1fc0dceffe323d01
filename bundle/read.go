package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/rundir"
	"golang.org/x/sys/unix"
)

// Bundle is a bundle found on disk, its manifest read and checked.
type Bundle struct {
	Manifest *Manifest
	// Root is the bundle's directory on disk (inside the scratch
	// directory for one that came in a tarball).
	Root string
	// Source is where it came from, as the user named it: the directory,
	// or "TARBALL" for one unpacked from a tarball.
	Source  string
	tarball string // the tarball Root was unpacked from; "" for a directory
	top     string // where that tarball was unpacked
}

// Display names a path below Root as the user knows it: inside the
// tarball ("b.tar.gz:runs/x/summary.json") for an unpacked bundle.
func (b *Bundle) Display(p string) string { return shownPath(b.top, p, b.tarball) }

// Rename rewrites the path of an InputError below Root with Display, so
// that a fault inside a tarball names the tarball and the file in it.
func (b *Bundle) Rename(err error) error {
	var ie *rundir.InputError
	if errors.As(err, &ie) {
		c := *ie
		c.Path = b.Display(ie.Path)
		return &c
	}
	return err
}

// RunDir is the directory of run i on disk.
func (b *Bundle) RunDir(i int) string { return filepath.Join(b.Root, b.Manifest.Runs[i].Dir) }

// Bounds of a search for bundles.
const (
	// MaxDepth is how deep below an argument bundles are looked for
	// (sonobuoy retrieve's plugins/NAME/results/NODE/ is four).
	MaxDepth = 8
	// MaxWalkEntries bounds the entries a search looks at.
	MaxWalkEntries = 10_000_000
)

// Finder finds bundles below the paths it is given, unpacking tarballs
// into Scratch (which the caller creates and removes).
type Finder struct {
	Scratch string
	n       int // tarballs unpacked so far, for their scratch names
	entries int
}

// Find returns the bundles at path: a bundle directory (holding
// bundle.json), a tarball of one, or a directory or tarball holding
// bundles or tarballs of bundles at any depth up to MaxDepth (a results
// directory, sonobuoy retrieve's tree, a shared volume). Symbolic links
// are not followed. A path that holds no bundle, a bundle whose manifest
// is malformed, or a tarball that is not one, is an error naming the file.
func (f *Finder) Find(path string) ([]*Bundle, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, &rundir.InputError{Path: path, Err: err}
	}
	var out []*Bundle
	switch {
	case st.Mode().IsRegular():
		out, err = f.fromTarball(path, path, 0)
	case st.IsDir():
		out, err = f.walk(path, path, "", 0)
	default:
		return nil, &rundir.InputError{Path: path, Err: errors.New("is neither a directory nor a tarball")}
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &rundir.InputError{Path: path, Err: fmt.Errorf("holds no memstorm bundle (no %s within %d levels)", ManifestFile, MaxDepth)}
	}
	return out, nil
}

// fromTarball unpacks the tarball at path and finds the bundles in it;
// shown is how errors name it. nest counts tarballs inside tarballs.
func (f *Finder) fromTarball(path, shown string, nest int) ([]*Bundle, error) {
	if nest > 1 {
		return nil, &rundir.InputError{Path: shown, Err: errors.New("a tarball inside a tarball inside a tarball: not a bundle")}
	}
	f.n++
	dst := filepath.Join(f.Scratch, strconv.Itoa(f.n))
	if err := os.Mkdir(dst, 0o755); err != nil {
		return nil, fmt.Errorf("unpacking %s: %w", shown, err)
	}
	if err := Unpack(path, shown, dst); err != nil {
		return nil, err
	}
	return f.walk(dst, dst, shown, nest)
}

// walk finds bundles below dir (whose top is top). tarball, when set,
// is the tarball top was unpacked from.
func (f *Finder) walk(top, dir, tarball string, nest int) ([]*Bundle, error) {
	var out []*Bundle
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &rundir.InputError{Path: shownPath(top, p, tarball), Err: err}
		}
		if f.entries++; f.entries > MaxWalkEntries {
			return &rundir.InputError{Path: shownPath(top, dir, tarball), Err: fmt.Errorf("more than %d entries below it", MaxWalkEntries)}
		}
		depth := strings.Count(strings.TrimPrefix(p, top), string(filepath.Separator))
		switch {
		case d.IsDir():
			if depth > MaxDepth {
				return filepath.SkipDir
			}
			if _, err := os.Lstat(filepath.Join(p, ManifestFile)); err != nil {
				return nil
			}
			b, err := openDir(p, top, tarball)
			if err != nil {
				return err
			}
			out = append(out, b)
			return filepath.SkipDir
		case d.Type().IsRegular() && isTarballName(p):
			bs, err := f.fromTarball(p, shownPath(top, p, tarball), nest+1)
			if err != nil {
				return err
			}
			out = append(out, bs...)
		}
		return nil
	})
	return out, err
}

// isTarballName reports whether a file found in a search is read as a
// tarball of bundles.
func isTarballName(p string) bool {
	for _, ext := range []string{".tar.gz", ".tgz", ".tar"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// shownPath names p, found below top, as the user knows it: itself, or
// "TARBALL:REL" when top is where tarball was unpacked.
func shownPath(top, p, tarball string) string {
	if tarball == "" {
		return p
	}
	rel, err := filepath.Rel(top, p)
	switch {
	case err != nil || !filepath.IsLocal(rel) && rel != ".":
		return p
	case rel == ".":
		return tarball
	}
	return tarball + ":" + filepath.ToSlash(rel)
}

// openDir reads the manifest of the bundle at dir, without following a
// symbolic link, and checks that each run it lists is a directory.
func openDir(dir, top, tarball string) (*Bundle, error) {
	b := &Bundle{Root: dir, Source: shownPath(top, dir, tarball), tarball: tarball, top: top}
	mpath := filepath.Join(dir, ManifestFile)
	fd, err := unix.Open(mpath, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			err = errors.New("is a symbolic link; a bundle holds only regular files")
		}
		return nil, &rundir.InputError{Path: b.Display(mpath), Err: err}
	}
	file := os.NewFile(uintptr(fd), mpath)
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Display(mpath), err)
	}
	if !st.Mode().IsRegular() {
		return nil, &rundir.InputError{Path: b.Display(mpath), Err: errors.New("is not a regular file")}
	}
	m, err := DecodeManifest(file, b.Display(mpath))
	if err != nil {
		return nil, err
	}
	b.Manifest = m
	for i := range m.Runs {
		p := b.RunDir(i)
		st, err := os.Lstat(p)
		switch {
		case err != nil:
			return nil, &rundir.InputError{Path: b.Display(mpath), Err: fmt.Errorf("runs[%d].dir %q: %v", i, m.Runs[i].Dir, errors.Unwrap(err))}
		case !st.IsDir():
			return nil, &rundir.InputError{Path: b.Display(p), Err: errors.New("is not a directory; bundle.json lists it as a run directory")}
		}
	}
	return b, nil
}
