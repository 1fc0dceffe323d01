// Package allocators is the one table of the malloc implementations memstorm
// knows by name, and the resolution of an --allocator value into the library
// a worker preloads and the name its detection must then report.
//
// It is plain Go with no cgo, so that the scenario validator, the command
// line and the supervisor can use it; package alloc (which detects the
// allocator that really serves malloc) names what it finds from this table.
package allocators

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The names memstorm knows.
const (
	Glibc    = "glibc"
	Jemalloc = "jemalloc"
	Tcmalloc = "tcmalloc"
	Mimalloc = "mimalloc"
	// Unknown is what detection reports for a malloc it cannot name.
	Unknown = "unknown"
)

// Known is one allocator memstorm knows by name.
type Known struct {
	Name    string
	Lib     string // shared library to LD_PRELOAD; "" for glibc, which serves malloc already
	Package string // Debian package that ships Lib
}

// table lists every known allocator, glibc first.
var table = []Known{
	{Glibc, "", ""},
	{Jemalloc, "libjemalloc.so.2", "libjemalloc2"},
	{Tcmalloc, "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"},
	{Mimalloc, "libmimalloc.so.2", "libmimalloc2.0"},
}

// Names lists the allocators memstorm knows by name, glibc first.
func Names() []string {
	names := make([]string, len(table))
	for i, k := range table {
		names[i] = k.Name
	}
	return names
}

// Lookup finds a known allocator by name.
func Lookup(name string) (Known, bool) {
	for _, k := range table {
		if k.Name == name {
			return k, true
		}
	}
	return Known{}, false
}

// LibDirs are the directories a known allocator's library is looked for in.
var LibDirs = []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"}

// Choice is an --allocator value resolved once: what to call it, what to
// preload and what detection in the worker must find.
type Choice struct {
	// Label names the choice in reports and directory names: a known name,
	// or the library path as given.
	Label string
	// Preload is the absolute path of the library to LD_PRELOAD; "" for glibc.
	Preload string
	// Expect is the name the worker's detection must report; "" when the
	// library was given by path.
	Expect string
	// ExpectPath, for a library given by path, is the file (links
	// resolved) that must serve malloc in the worker.
	ExpectPath string
}

// Default is glibc, the allocator every run gets unless it asks for another.
var Default = Choice{Label: Glibc, Expect: Glibc}

// Resolve turns an --allocator value (a known name, "" for glibc, or the
// path of a library) into a Choice, finding the library on this machine.
func Resolve(arg string) (Choice, error) {
	if arg == "" || arg == Glibc {
		return Default, nil
	}
	if strings.ContainsRune(arg, '/') {
		fi, err := os.Stat(arg)
		if err != nil {
			return Choice{}, fmt.Errorf("allocator library %s: %w", arg, err)
		}
		if !fi.Mode().IsRegular() {
			return Choice{}, fmt.Errorf("allocator library %s: not a regular file", arg)
		}
		abs, err := filepath.Abs(arg)
		if err != nil {
			return Choice{}, fmt.Errorf("allocator library %s: %w", arg, err)
		}
		if err := providesMalloc(abs); err != nil {
			return Choice{}, err
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return Choice{}, fmt.Errorf("allocator library %s: %w", arg, err)
		}
		return Choice{Label: arg, Preload: abs, ExpectPath: real}, nil
	}
	k, ok := Lookup(arg)
	if !ok {
		return Choice{}, fmt.Errorf("unknown allocator %q: want one of %s, or the path of a malloc library", arg, strings.Join(Names(), ", "))
	}
	for _, d := range LibDirs {
		p := filepath.Join(d, k.Lib)
		if _, err := os.Stat(p); err == nil {
			return Choice{Label: k.Name, Preload: p, Expect: k.Name}, nil
		}
	}
	return Choice{}, fmt.Errorf("allocator %s: %s not found in %s (install Debian's %s: apt-get install %s)",
		arg, k.Lib, strings.Join(LibDirs, ", "), k.Package, k.Package)
}

// providesMalloc checks that path is an ELF shared object that defines
// malloc and free in its dynamic symbol table: a library that does not
// would load and leave glibc's malloc in charge, and the run would measure
// glibc under another name.
func providesMalloc(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("allocator library %s: not an ELF shared object: %w", path, err)
	}
	defer f.Close()
	if f.Type != elf.ET_DYN {
		return fmt.Errorf("allocator library %s: an ELF file of type %v, not a shared object", path, f.Type)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return fmt.Errorf("allocator library %s: reading its dynamic symbols: %w", path, err)
	}
	defined := map[string]bool{}
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			defined[s.Name] = true
		}
	}
	for _, name := range []string{"malloc", "free"} {
		if !defined[name] {
			return fmt.Errorf("allocator library %s does not define %s: it cannot serve malloc", path, name)
		}
	}
	return nil
}
