package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/memstorm/memstorm/rundir"
	"golang.org/x/sys/unix"
)

// Bundle is a bundle found by a Finder, its manifest read and checked: a
// directory on disk, or a tarball read into memory.
type Bundle struct {
	Manifest *Manifest
	// Source is where it came from, as the user named it: the directory,
	// or the tarball ("TARBALL", or "TARBALL:DIR" for a bundle below the
	// tarball's root).
	Source string

	dir     string // the bundle's directory on disk; "" for one in memory
	tarball string // how errors name the tarball it came in
	prefix  string // its root within the tarball ("." at the top)
	tree    *Tree
}

// Display names the file at rel, relative to the bundle's root, as the
// user knows it: below the directory, or inside the tarball
// ("b.tar.gz:runs/x/summary.json").
func (b *Bundle) Display(rel string) string {
	if b.tree == nil {
		return filepath.Join(b.dir, filepath.FromSlash(rel))
	}
	return b.tarball + ":" + path.Join(b.prefix, rel)
}

// LoadRun loads run i of the bundle (rundir.LoadRun, or
// rundir.LoadRunFiles for a bundle in memory); faults name the file as
// Display does.
func (b *Bundle) LoadRun(i int) (*rundir.Run, error) {
	rel := b.Manifest.Runs[i].Dir
	if b.tree == nil {
		return rundir.LoadRun(filepath.Join(b.dir, filepath.FromSlash(rel)))
	}
	full := path.Join(b.prefix, rel)
	files := map[string][]byte{}
	for name, data := range b.tree.Files {
		if path.Dir(name) == full {
			files[path.Base(name)] = data
		}
	}
	return rundir.LoadRunFiles(b.Display(rel), files)
}

// Bounds of a search for bundles.
const (
	// MaxDepth is how deep below an argument bundles are looked for
	// (sonobuoy retrieve's plugins/NAME/results/NODE/ is four).
	MaxDepth = 8
	// MaxWalkEntries bounds the entries a search looks at.
	MaxWalkEntries = 10_000_000
	// MaxHeldBytes bounds what all the tarballs of a search hold in
	// memory together: a thousand bundles of small runs are 100 MiB.
	MaxHeldBytes = 4 << 30
)

// Finder finds bundles. A Finder is used by one goroutine.
type Finder struct {
	entries int
	held    int64
}

// Find returns the bundles at p: a bundle directory (holding
// bundle.json), a tarball of one, or a directory or tarball holding
// bundles or tarballs of bundles at any depth up to MaxDepth (a results
// directory, sonobuoy retrieve's tree, a shared volume). Symbolic links
// are not followed, and tarballs are read into memory, never unpacked on
// disk. A path that holds no bundle, a malformed manifest, or a tarball
// that is not one, is an error naming the file.
func (f *Finder) Find(p string) ([]*Bundle, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return nil, &rundir.InputError{Path: p, Err: err}
	}
	var out []*Bundle
	switch {
	case st.Mode().IsRegular():
		out, err = f.fromTarballs([]string{p})
	case st.IsDir():
		out, err = f.walk(p)
	default:
		return nil, &rundir.InputError{Path: p, Err: errors.New("is neither a directory nor a tarball")}
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &rundir.InputError{Path: p, Err: fmt.Errorf("holds no memstorm bundle (no %s within %d levels)", ManifestFile, MaxDepth)}
	}
	return out, nil
}

// walk finds the bundles below dir: bundle directories, and the bundles
// in the tarballs found, which are read together once the walk is done.
func (f *Finder) walk(dir string) ([]*Bundle, error) {
	var out []*Bundle
	var tarballs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &rundir.InputError{Path: p, Err: err}
		}
		if f.entries++; f.entries > MaxWalkEntries {
			return &rundir.InputError{Path: dir, Err: fmt.Errorf("more than %d entries below it", MaxWalkEntries)}
		}
		switch {
		case d.IsDir():
			if strings.Count(strings.TrimPrefix(p, dir), string(filepath.Separator)) > MaxDepth {
				return filepath.SkipDir
			}
			if _, err := os.Lstat(filepath.Join(p, ManifestFile)); err != nil {
				return nil
			}
			b, err := openDir(p)
			if err != nil {
				return err
			}
			out = append(out, b)
			return filepath.SkipDir
		case d.Type().IsRegular() && isTarballName(p):
			tarballs = append(tarballs, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	bs, err := f.fromTarballs(tarballs)
	return append(out, bs...), err
}

// fromTarballs reads the tarballs at paths into memory, one per CPU at a
// time (gunzip is most of the work), and finds the bundles in them.
func (f *Finder) fromTarballs(paths []string) ([]*Bundle, error) {
	trees := make([]*Tree, len(paths))
	errs := make([]error, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				trees[i], errs[i] = ReadTarballFile(paths[i], paths[i])
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []*Bundle
	for i, p := range paths {
		if errs[i] != nil {
			return nil, errs[i]
		}
		bs, err := f.inTree(trees[i], p, 1)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

// inTree finds the bundles in a tarball read into memory (shown names it),
// and in the tarballs inside it; nest counts tarballs inside tarballs.
func (f *Finder) inTree(t *Tree, shown string, nest int) ([]*Bundle, error) {
	if f.held += t.Bytes; f.held > MaxHeldBytes {
		return nil, &rundir.InputError{Path: shown, Err: fmt.Errorf("the tarballs read so far hold more than %d bytes together", MaxHeldBytes)}
	}
	var roots []string
	for name := range t.Files {
		if path.Base(name) == ManifestFile && strings.Count(name, "/") <= MaxDepth {
			roots = append(roots, path.Dir(name))
		}
	}
	slices.Sort(roots)
	var out []*Bundle
	var kept []string
	for _, root := range roots {
		if under(root, kept) {
			continue // a bundle inside a bundle is part of it
		}
		kept = append(kept, root)
		b := &Bundle{tarball: shown, prefix: root, tree: t, Source: shown}
		if root != "." {
			b.Source = shown + ":" + root
		}
		m, err := DecodeManifest(bytes.NewReader(t.Files[path.Join(root, ManifestFile)]), b.Display(ManifestFile))
		if err != nil {
			return nil, err
		}
		b.Manifest = m
		for i, r := range m.Runs {
			if !t.Dirs[path.Join(root, r.Dir)] {
				return nil, &rundir.InputError{Path: b.Display(ManifestFile), Err: fmt.Errorf("runs[%d].dir %q: not in the tarball", i, r.Dir)}
			}
		}
		out = append(out, b)
	}
	var nested []string
	for name := range t.Files {
		if isTarballName(name) && !under(path.Dir(name), kept) {
			nested = append(nested, name)
		}
	}
	slices.Sort(nested)
	for _, name := range nested {
		at := shown + ":" + name
		if nest > 1 {
			return nil, &rundir.InputError{Path: at, Err: errors.New("a tarball inside a tarball inside a tarball: not a bundle")}
		}
		nt, err := ReadTarball(bytes.NewReader(t.Files[name]), at)
		if err != nil {
			return nil, err
		}
		bs, err := f.inTree(nt, at, nest+1)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

// under reports whether dir is one of roots or below one.
func under(dir string, roots []string) bool {
	for _, r := range roots {
		if r == "." || dir == r || strings.HasPrefix(dir, r+"/") {
			return true
		}
	}
	return false
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

// openDir reads the manifest of the bundle at dir, without following a
// symbolic link, and checks that each run it lists is a directory.
func openDir(dir string) (*Bundle, error) {
	b := &Bundle{dir: dir, Source: dir}
	mpath := filepath.Join(dir, ManifestFile)
	fd, err := unix.Open(mpath, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			err = errors.New("is a symbolic link; a bundle holds only regular files")
		}
		return nil, &rundir.InputError{Path: mpath, Err: err}
	}
	file := os.NewFile(uintptr(fd), mpath)
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mpath, err)
	}
	if !st.Mode().IsRegular() {
		return nil, &rundir.InputError{Path: mpath, Err: errors.New("is not a regular file")}
	}
	m, err := DecodeManifest(file, mpath)
	if err != nil {
		return nil, err
	}
	b.Manifest = m
	for i, r := range m.Runs {
		p := b.Display(r.Dir)
		st, err := os.Lstat(p)
		switch {
		case err != nil:
			return nil, &rundir.InputError{Path: mpath, Err: fmt.Errorf("runs[%d].dir %q: %v", i, r.Dir, errors.Unwrap(err))}
		case !st.IsDir():
			return nil, &rundir.InputError{Path: p, Err: errors.New("is not a directory; bundle.json lists it as a run directory")}
		}
	}
	return b, nil
}
