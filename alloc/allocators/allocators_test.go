package allocators

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveByPathNeedsAMalloc: a library given by path must be an ELF
// shared object that defines malloc and free; anything else would load (or
// not) and leave glibc serving malloc under another name.
func TestResolveByPathNeedsAMalloc(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not a library\n"), 0o644)
	libz, _ := filepath.Glob("/usr/lib/x86_64-linux-gnu/libz.so.1*")
	cases := []struct{ path, want string }{
		{text, "not an ELF shared object"},
		{dir, "not a regular file"},
		{"/dev/zero", "not a regular file"},
		{filepath.Join(dir, "missing.so"), "no such file"},
	}
	if len(libz) > 0 {
		cases = append(cases, struct{ path, want string }{libz[0], "does not define malloc"})
	}
	if exe, err := os.Executable(); err == nil {
		cases = append(cases, struct{ path, want string }{exe, "not a shared object"})
	}
	for _, tc := range cases {
		if c, err := Resolve(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resolve(%s) = %+v, %v; want an error containing %q", tc.path, c, err, tc.want)
		}
	}
	for _, name := range []string{Jemalloc, Tcmalloc, Mimalloc} {
		k, _ := Lookup(name)
		for _, d := range LibDirs {
			p := filepath.Join(d, k.Lib)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			c, err := Resolve(p)
			if err != nil {
				t.Errorf("Resolve(%s): %v", p, err)
				continue
			}
			if c.Expect != "" || c.ExpectPath == "" || c.Preload != p {
				t.Errorf("Resolve(%s) = %+v: want the library as preload and its real path expected", p, c)
			}
			break
		}
	}
}

func TestResolveByName(t *testing.T) {
	if c, err := Resolve(""); err != nil || c != Default {
		t.Errorf("Resolve(\"\") = %+v, %v; want glibc", c, err)
	}
	if _, err := Resolve("hoard"); err == nil || !strings.Contains(err.Error(), "glibc, jemalloc, tcmalloc, mimalloc") {
		t.Errorf("Resolve(hoard) = %v: want the known names listed", err)
	}
	if got := Names(); len(got) != 4 || got[0] != Glibc {
		t.Errorf("Names() = %v", got)
	}
}
