package cgroup

import (
	"path/filepath"
	"testing"
)

// TestGroupKill: a container's cgroup with memory.oom.group=1 and the
// limit (the kubelet's) is killed whole; memory.oom.group=1 above the
// cgroup whose limit is hit is outside the OOM's domain and kills nothing
// more.
func TestGroupKill(t *testing.T) {
	for _, tc := range []struct {
		host string
		want string // the group's directory below the host's /sys/fs/cgroup; "" for none
	}{
		{"v2-kubelet", "user.slice/session-1.scope"},
		{"v2-oom-group-above", ""},
		{"hybrid", ""}, // v1 memory: no memory.oom.group
	} {
		t.Run(tc.host, func(t *testing.T) {
			root := filepath.Join("testdata", "hosts", tc.host)
			h, err := Detect(Roots{Proc: filepath.Join(root, "proc"), FS: root})
			if err != nil {
				t.Fatal(err)
			}
			gk, err := h.GroupKill()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && gk != nil:
				t.Errorf("GroupKill() = %+v, want none", gk)
			case tc.want != "" && gk == nil:
				t.Errorf("GroupKill() = none, want %s", tc.want)
			case tc.want != "":
				want := filepath.Join(root, "sys/fs/cgroup", tc.want)
				if gk.Dir != want || gk.LimitDir != want {
					t.Errorf("GroupKill() = %+v, want Dir and LimitDir %s", gk, want)
				}
			}
		})
	}
}
