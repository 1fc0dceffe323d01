package cgroup

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/procfs"
)

func hostRoots(name string) Roots {
	base := filepath.Join("testdata", "hosts", name)
	return Roots{Proc: filepath.Join(base, "proc"), FS: base}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		host    string
		version int
		hybrid  bool
		mount   string // memory hierarchy mount point, relative to the host tree
		rel     string // own cgroup below the mount
		wantErr error
	}{
		// Captured trees (/work/shared/fixtures cgroup-v1-hybrid and cgroup-v2).
		{host: "hybrid", version: 1, hybrid: true, mount: "sys/fs/cgroup/memory", rel: "/user.slice/session-1.scope"},
		{host: "v2", version: 2, mount: "sys/fs/cgroup", rel: "/user.slice/session-1.scope"},
		// Edits of them.
		{host: "v1-container", version: 1, hybrid: true, mount: "sys/fs/cgroup/memory", rel: "/"},
		{host: "v1-outside-mount", wantErr: ErrNoMemoryController},
		{host: "no-memory", wantErr: ErrNoMemoryController},
		{host: "v2-no-memory", wantErr: ErrNoMemoryController},
		{host: "absent", wantErr: fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			roots := hostRoots(tc.host)
			h, err := Detect(roots)
			if tc.version == 0 {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Detect = %+v, %v; want %v", h, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Version() != tc.version || h.Hybrid() != tc.hybrid {
				t.Errorf("version %d hybrid %v, want %d %v", h.Version(), h.Hybrid(), tc.version, tc.hybrid)
			}
			if want := filepath.Join(roots.FS, tc.mount); h.mount != want {
				t.Errorf("mount = %q, want %q", h.mount, want)
			}
			if h.rel != tc.rel {
				t.Errorf("own cgroup = %q, want %q", h.rel, tc.rel)
			}
			if want := filepath.Join(roots.FS, tc.mount, tc.rel); h.Dir() != want {
				t.Errorf("Dir = %q, want %q", h.Dir(), want)
			}
			if h.proc.Root() != roots.Proc {
				t.Errorf("proc root = %q, want %q", h.proc.Root(), roots.Proc)
			}
		})
	}
}

// A mountinfo or cgroup file that is not what the kernel writes is an error
// of its own, not "no memory controller".
func TestDetectMalformed(t *testing.T) {
	for _, host := range []string{"torn-mountinfo", "torn-cgroup"} {
		t.Run(host, func(t *testing.T) {
			h, err := Detect(hostRoots(host))
			if !errors.Is(err, procfs.ErrMalformed) || errors.Is(err, ErrNoMemoryController) {
				t.Errorf("Detect = %+v, %v; want procfs.ErrMalformed only", h, err)
			}
		})
	}
}

func TestRoots(t *testing.T) {
	r := DefaultRoots()
	if r.Proc != "/proc" || r.FS != "/" || r.ProcFS().Root() != "/proc" {
		t.Errorf("DefaultRoots = %+v", r)
	}
	if got := r.Path("/sys/fs/cgroup"); got != "/sys/fs/cgroup" {
		t.Errorf("Path on the live system = %q", got)
	}
	if got := hostRoots("v2").Path("/sys/fs/cgroup"); got != "testdata/hosts/v2/sys/fs/cgroup" {
		t.Errorf("Path in a fixture tree = %q", got)
	}
}
