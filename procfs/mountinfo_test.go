package procfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func TestMountinfoFixtures(t *testing.T) {
	for _, tc := range []struct {
		host    string
		n       int
		v1      *Mount // the v1 memory mount
		v2Point string
	}{
		{"v1-hybrid", 19, &Mount{
			MountID: 34, ParentID: 30, Major: 0, Minor: 31, Root: "/", MountPoint: "/sys/fs/cgroup/memory",
			Options: []string{"rw", "relatime"}, FSType: "cgroup", Source: "cgroup", SuperOptions: []string{"rw", "memory"},
		}, "/sys/fs/cgroup/unified"},
		{"v2", 9, nil, "/sys/fs/cgroup"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			ms, err := hostFS[tc.host].Self().Mountinfo()
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != tc.n {
				t.Errorf("%d mounts, want %d", len(ms), tc.n)
			}
			v1, ok := CgroupV1Mount(ms, "memory")
			if tc.v1 == nil {
				if ok {
					t.Errorf("CgroupV1Mount(memory) found %+v on a v2 host", v1)
				}
			} else if diff := cmp.Diff(*tc.v1, v1); diff != "" {
				t.Errorf("CgroupV1Mount(memory) (-want +got):\n%s", diff)
			}
			v2, ok := CgroupV2Mount(ms)
			if !ok || v2.MountPoint != tc.v2Point {
				t.Errorf("CgroupV2Mount = %q, %v; want %q", v2.MountPoint, ok, tc.v2Point)
			}
		})
	}
}

func TestParseMountinfoCases(t *testing.T) {
	t.Run("mountinfo-optional-fields", func(t *testing.T) {
		got, err := ParseMountinfo(openCase(t, "mountinfo-optional-fields"))
		if err != nil {
			t.Fatal(err)
		}
		want := []Mount{
			{MountID: 26, ParentID: 1, Major: 254, Root: "/", MountPoint: "/", Options: []string{"rw", "relatime"},
				OptionalFields: []string{"shared:1"}, FSType: "ext4", Source: "/dev/vda", SuperOptions: []string{"rw", "discard"}},
			{MountID: 30, ParentID: 22, Minor: 27, Root: "/", MountPoint: "/sys/fs/cgroup", Options: []string{"rw", "relatime"},
				OptionalFields: []string{"shared:9", "master:2"}, FSType: "tmpfs", Source: "tmpfs", SuperOptions: []string{"rw", "mode=755"}},
			{MountID: 34, ParentID: 30, Minor: 31, Root: "/", MountPoint: "/sys/fs/cgroup/memory", Options: []string{"rw", "relatime"},
				OptionalFields: []string{"shared:13"}, FSType: "cgroup", Source: "cgroup", SuperOptions: []string{"rw", "memory"}},
			{MountID: 41, ParentID: 26, Minor: 40, Root: "/docker/abc", MountPoint: `/mnt/my dir\x`, Options: []string{"rw", "relatime"},
				FSType: "cgroup2", Source: "cgroup2", SuperOptions: []string{"rw"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseMountinfo (-want +got):\n%s", diff)
		}
	})
	for _, file := range []string{"mountinfo-no-separator", "mountinfo-short-line"} {
		t.Run(file, func(t *testing.T) {
			got, err := ParseMountinfo(openCase(t, file))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseMountinfo = %v, %v; want ErrMalformed", got, err)
			}
		})
	}
}

// Lines cut short at each place a torn read can cut them, and lines whose
// numbers are not numbers: every one is an error, never a shorter mount.
func TestParseMountinfoTorn(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"truncated before separator", "34 30 0:31 / - cgroup cgroup rw,memory\n"},
		{"no source", "34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup\n"},
		{"cut after dash", "34 30 0:31 / /sys/fs/cgroup/memory rw - \n"},
		{"bad mount id", "x 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"},
		{"bad device", "34 30 031 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"},
		{"bad line among good", "26 1 254:0 / / rw - ext4 /dev/vda rw\n34 30 0:x / /m rw - tmpfs tmpfs rw\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := ParseMountinfo(stringsReader(tc.in)); !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseMountinfo = %+v, %v; want ErrMalformed", got, err)
			}
		})
	}
	// Super options are per file system; a line without them parses.
	got, err := ParseMountinfo(stringsReader("34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup\n"))
	if err != nil || len(got) != 1 || got[0].SuperOptions != nil {
		t.Errorf("no super options: %+v, %v", got, err)
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`: "/a b", `\011\012`: "\t\n", `\134`: `\`, `/plain`: "/plain", `/trail\04`: `/trail\04`, `\999`: `\999`,
		`\377`: "\xff", `/x\400`: `/x\400`, `\\134`: `\\`, `\`: `\`, `\0401`: " 1",
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMountinfoSelf(t *testing.T) {
	ms, err := DefaultFS.Self().Mountinfo()
	if err != nil {
		t.Fatal(err)
	}
	var root, proc bool
	for _, m := range ms {
		root = root || m.MountPoint == "/"
		proc = proc || (m.MountPoint == "/proc" && m.FSType == "proc")
	}
	if !root || !proc {
		t.Errorf("mountinfo lacks / (%v) or /proc of type proc (%v)", root, proc)
	}
}
