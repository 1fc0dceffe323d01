package cgroup

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
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
		dir     string // relative to the host tree
		wantErr error
	}{
		{host: "hybrid", version: 1, hybrid: true, dir: "sys/fs/cgroup/memory/user.slice/session-1.scope"},
		{host: "v2", version: 2, dir: "sys/fs/cgroup/user.slice/session-1.scope"},
		{host: "v1-container", version: 1, hybrid: true, dir: "sys/fs/cgroup/memory"},
		{host: "v1-outside-mount", wantErr: nil},
		{host: "no-memory", wantErr: ErrNoMemoryController},
		{host: "v2-no-memory", wantErr: ErrNoMemoryController},
		{host: "absent", wantErr: fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			roots := hostRoots(tc.host)
			h, err := Detect(roots)
			if tc.version == 0 {
				if err == nil {
					t.Fatalf("Detect = %+v, want error", h)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Version() != tc.version || h.Hybrid() != tc.hybrid {
				t.Errorf("version %d hybrid %v, want %d %v", h.Version(), h.Hybrid(), tc.version, tc.hybrid)
			}
			if want := filepath.Join(roots.FS, tc.dir); h.Dir() != want {
				t.Errorf("Dir = %q, want %q", h.Dir(), want)
			}
		})
	}
}
