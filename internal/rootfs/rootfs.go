package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/memstorm/memstorm/alloc/allocators"
)

// BinaryPath is where memstorm is in the root.
const BinaryPath = "/usr/local/bin/memstorm"

// MountPoints are the empty directories a runtime mounts over: the
// kernel's file systems, a scratch /tmp, and /out for the run directories.
var MountPoints = []string{"/proc", "/sys", "/dev", "/tmp", "/out"}

// Kind is what an Entry is.
type Kind int

// Kinds of entries.
const (
	KindDir Kind = iota
	KindFile
	KindSymlink
)

// Entry is one path of the root.
type Entry struct {
	Path   string      // absolute, in the root
	Kind   Kind        // what it is
	Source string      // KindFile: the host file it is copied from
	Target string      // KindSymlink: the link's target, as on the host
	Mode   fs.FileMode // permission bits
}

// Root is the list of a root file system's entries, parents before
// children.
type Root struct {
	Entries []Entry
	index   map[string]int
}

// Collect lists the root for the memstorm binary bin: bin at BinaryPath,
// the libraries ldd names for it, every allocator of package allocators
// with the libraries ldd names for it, and MountPoints. An allocator that
// is not installed is an error naming its Debian package.
func Collect(bin string) (*Root, error) {
	r := &Root{index: map[string]int{}}
	for _, d := range MountPoints {
		mode := fs.FileMode(0o755)
		if d == "/tmp" || d == "/out" {
			// Writable by any user the container runs as, when nothing is
			// mounted there (an image run without a volume).
			mode = 0o777 | fs.ModeSticky
		}
		r.addDir(d, mode)
	}
	if err := r.addFile(BinaryPath, bin, 0o755); err != nil {
		return nil, err
	}
	objects := []string{bin}
	for _, name := range allocators.Names() {
		k, _ := allocators.Lookup(name)
		if k.Lib == "" {
			continue
		}
		c, err := allocators.Resolve(name)
		if err != nil {
			return nil, fmt.Errorf("allocator %s for the root: %w (apt-get install %s)", name, err, k.Package)
		}
		if err := r.addHostPath(c.Preload); err != nil {
			return nil, err
		}
		objects = append(objects, c.Preload)
	}
	for _, o := range objects {
		libs, err := libraries(o)
		if err != nil {
			return nil, err
		}
		for _, l := range libs {
			if err := r.addHostPath(l); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// Paths lists the entries' paths.
func (r *Root) Paths() []string {
	p := make([]string, len(r.Entries))
	for i, e := range r.Entries {
		p[i] = e.Path
	}
	return p
}

func (r *Root) add(e Entry) {
	if i, ok := r.index[e.Path]; ok {
		r.Entries[i] = e
		return
	}
	r.index[e.Path] = len(r.Entries)
	r.Entries = append(r.Entries, e)
}

// addDir adds dir and its parents.
func (r *Root) addDir(dir string, mode fs.FileMode) {
	if dir == "/" {
		return
	}
	if _, ok := r.index[dir]; ok {
		return
	}
	r.addDir(filepath.Dir(dir), 0o755)
	r.add(Entry{Path: dir, Kind: KindDir, Mode: mode})
}

// addFile adds the host file src at path.
func (r *Root) addFile(path, src string, mode fs.FileMode) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("adding %s to the root: %w", src, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("adding %s to the root: not a regular file", src)
	}
	r.addDir(filepath.Dir(path), 0o755)
	r.add(Entry{Path: path, Kind: KindFile, Source: src, Mode: mode})
	return nil
}

// addHostPath adds the host path p at the same path in the root, with
// every symbolic link met on the way (a directory such as /lib -> usr/lib,
// or the file itself) as a link to what it points to, so that the path
// resolves in the root as on the host.
func (r *Root) addHostPath(p string) error {
	return r.addResolving(filepath.Clean(p), 0)
}

func (r *Root) addResolving(p string, depth int) error {
	if depth > 40 {
		return fmt.Errorf("adding %s to the root: too many symbolic links", p)
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	for i, part := range parts {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if err != nil {
			return fmt.Errorf("adding %s to the root: %w", p, err)
		}
		last := i == len(parts)-1
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(cur)
			if err != nil {
				return fmt.Errorf("adding %s to the root: %w", p, err)
			}
			r.addDir(filepath.Dir(cur), 0o755)
			r.add(Entry{Path: cur, Kind: KindSymlink, Target: target})
			abs := target
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(filepath.Dir(cur), target)
			}
			rest := filepath.Join(append([]string{abs}, parts[i+1:]...)...)
			return r.addResolving(rest, depth+1)
		case last && fi.Mode().IsRegular():
			return r.addFile(cur, cur, fi.Mode().Perm())
		case last:
			return fmt.Errorf("adding %s to the root: not a regular file or a link", p)
		case !fi.IsDir():
			return fmt.Errorf("adding %s to the root: %s is not a directory", p, cur)
		}
	}
	return errors.New("adding / to the root: nothing to add")
}

// Has reports whether the root has an entry at path.
func (r *Root) Has(path string) bool { _, ok := r.index[path]; return ok }

// sorted returns the entries parents first, then by path.
func (r *Root) sorted() []Entry {
	es := slices.Clone(r.Entries)
	slices.SortStableFunc(es, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return es
}
