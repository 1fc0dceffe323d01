package machine

import (
	"os"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/procfs"
)

func TestMemoryCgroupVersion(t *testing.T) {
	v1 := procfs.NewFS("testdata/v1-hybrid/proc").Self()
	v2 := procfs.NewFS("testdata/v2/proc").Self()
	for _, tc := range []struct {
		name        string
		cgroup      procfs.Proc // whose cgroup file
		mountinfo   string      // path below testdata
		controllers string      // path below testdata of the unified cgroup.controllers
		want        int
	}{
		{"hybrid host: memory on v1", v1, "v1-hybrid/proc/self/mountinfo", "v1-hybrid/sys/fs/cgroup/unified/cgroup.controllers", 1},
		{"v2 host: memory in cgroup.controllers", v2, "v2/proc/self/mountinfo", "v2/sys/fs/cgroup/cgroup.controllers", 2},
		{"v2 host without the memory controller", v2, "v2/proc/self/mountinfo", "cases/v2-controllers-without-memory", 0},
		{"v2 host without a cgroup2 mount", v2, "cases/mountinfo-no-cgroup", "v2/sys/fs/cgroup/cgroup.controllers", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines, err := tc.cgroup.Cgroups()
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open("testdata/" + tc.mountinfo)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			mounts, err := procfs.ParseMountinfo(f)
			if err != nil {
				t.Fatal(err)
			}
			controllers := strings.Fields(readCase(t, tc.controllers))
			if got := memoryCgroupVersion(lines, mounts, controllers); got != tc.want {
				t.Errorf("memoryCgroupVersion = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestUnderSys(t *testing.T) {
	for _, tc := range []struct{ mp, root, want string }{
		{"/sys/fs/cgroup", "testdata/v2/sys", "testdata/v2/sys/fs/cgroup"},
		{"/sys/fs/cgroup", "/sys", "/sys/fs/cgroup"},
		{"/mnt/cg", "testdata/v2/sys", "/mnt/cg"},
		{"/sysfoo", "x", "/sysfoo"},
	} {
		if got := underSys(tc.mp, tc.root); got != tc.want {
			t.Errorf("underSys(%q, %q) = %q, want %q", tc.mp, tc.root, got, tc.want)
		}
	}
}
