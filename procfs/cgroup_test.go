package procfs

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCgroupFixtures(t *testing.T) {
	v1 := []CgroupLine{
		{9, []string{"name=systemd"}, "/"},
		{8, []string{"pids"}, "/"},
		{7, []string{"blkio"}, "/"},
		{6, []string{"freezer"}, "/"},
		{5, []string{"devices"}, "/"},
		{4, []string{"memory"}, "/user.slice/session-1.scope"},
		{3, []string{"cpuset"}, "/"},
		{2, []string{"cpuacct"}, "/"},
		{1, []string{"cpu"}, "/"},
		{0, nil, "/"},
	}
	for _, tc := range []struct {
		host          string
		want          []CgroupLine
		v1Mem, v2     string
		v1MemOK, v2OK bool
	}{
		{"v1-hybrid", v1, "/user.slice/session-1.scope", "/", true, true},
		{"v2", []CgroupLine{{0, nil, "/user.slice/session-1.scope"}}, "", "/user.slice/session-1.scope", false, true},
	} {
		t.Run(tc.host, func(t *testing.T) {
			got, err := hostFS[tc.host].Self().Cgroups()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Cgroups() mismatch (-want +got):\n%s", diff)
			}
			if p, ok := CgroupV1Path(got, "memory"); p != tc.v1Mem || ok != tc.v1MemOK {
				t.Errorf("CgroupV1Path(memory) = %q, %v; want %q, %v", p, ok, tc.v1Mem, tc.v1MemOK)
			}
			if p, ok := CgroupV2Path(got); p != tc.v2 || ok != tc.v2OK {
				t.Errorf("CgroupV2Path = %q, %v; want %q, %v", p, ok, tc.v2, tc.v2OK)
			}
		})
	}
}

func TestParseCgroupsCases(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantLen int
		wantErr error
	}{
		{"cgroup-blank-lines", 10, nil},
		{"cgroup-short-line", 0, ErrMalformed},
		{"cgroup-bad-id", 0, ErrMalformed},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseCgroups(openCase(t, tc.file))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("ParseCgroups error = %v, want %v", err, tc.wantErr)
			}
			if len(got) != tc.wantLen {
				t.Errorf("got %d lines, want %d", len(got), tc.wantLen)
			}
		})
	}
}

// Torn or garbled lines the kernel never writes: the path is always absolute
// (even "/../.." outside the cgroup namespace) and the ID non-negative.
func TestParseCgroupsTorn(t *testing.T) {
	for _, in := range []string{"4:memory:\n", "4:memory:user.slice\n", "-1:memory:/\n", "4:memory\n", ":memory:/\n"} {
		if got, err := ParseCgroups(stringsReader(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCgroups(%q) = %+v, %v; want ErrMalformed", in, got, err)
		}
	}
	got, err := ParseCgroups(stringsReader("0::/../../user.slice\n"))
	if err != nil || len(got) != 1 || got[0].Path != "/../../user.slice" {
		t.Errorf("path outside the namespace: %+v, %v", got, err)
	}
}

func TestCgroupPathWithColon(t *testing.T) {
	got, err := ParseCgroups(stringsReader("0::/a:b/c\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]CgroupLine{{0, nil, "/a:b/c"}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCgroupsSelf(t *testing.T) {
	lines, err := DefaultFS.Self().Cgroups()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatal("no cgroup lines for this process")
	}
	ms, err := DefaultFS.Self().Mountinfo()
	if err != nil {
		t.Fatal(err)
	}
	// Wherever the memory controller is, its directory for this process exists.
	if p, ok := CgroupV1Path(lines, "memory"); ok {
		m, ok := CgroupV1Mount(ms, "memory")
		if !ok {
			skipOrFail(t, "memory is on a v1 hierarchy that is not mounted here")
		}
		if _, err := os.Stat(m.MountPoint + p); err != nil {
			t.Errorf("memory cgroup directory: %v", err)
		}
	} else if p, ok := CgroupV2Path(lines); ok {
		m, ok := CgroupV2Mount(ms)
		if !ok {
			skipOrFail(t, "cgroup2 is not mounted here")
		}
		if _, err := os.Stat(m.MountPoint + p); err != nil {
			t.Errorf("unified cgroup directory: %v", err)
		}
	}
}
