package cgroup

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMountinfoFixtures(t *testing.T) {
	tests := []struct {
		file    string
		want    int // cgroup + cgroup2 mounts
		memory  string
		cgroup2 string
	}{
		{"hosts/hybrid/proc/self/mountinfo", 10, "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"},
		{"hosts/v2/proc/self/mountinfo", 1, "", "/sys/fs/cgroup"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ms, err := parseMountinfo(openFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != tc.want {
				t.Errorf("got %d cgroup mounts, want %d: %+v", len(ms), tc.want, ms)
			}
			var mem, v2 string
			for _, m := range ms {
				if m.fstype == "cgroup" && m.has("memory") {
					mem = m.mountpoint
				}
				if m.fstype == "cgroup2" {
					v2 = m.mountpoint
				}
			}
			if mem != tc.memory || v2 != tc.cgroup2 {
				t.Errorf("memory at %q, cgroup2 at %q; want %q, %q", mem, v2, tc.memory, tc.cgroup2)
			}
		})
	}
}

func TestParseMountinfoEdges(t *testing.T) {
	got, err := parseMountinfo(strings.NewReader(
		"\n" +
			"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
			`34 30 0:31 /a\040b /sys/fs/cgroup/mem\134ory rw,relatime shared:9 - cgroup cgroup rw,memory` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []mount{{root: "/a b", mountpoint: `/sys/fs/cgroup/mem\ory`, fstype: "cgroup", superOpts: []string{"rw", "memory"}}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(mount{})); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	for name, in := range map[string]string{
		"no separator":   "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime cgroup cgroup rw,memory\n",
		"truncated head": "34 30 0:31 / - cgroup cgroup rw,memory\n",
		"truncated tail": "34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup\n",
		"cut after dash": "34 30 0:31 / /sys/fs/cgroup/memory rw - \n",
	} {
		if ms, err := parseMountinfo(strings.NewReader(in)); err == nil {
			t.Errorf("%s: got %+v, want error", name, ms)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	got, err := parseProcCgroup(openFixture(t, "hosts/hybrid/proc/self/cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("got %d lines, want 10", len(got))
	}
	if p, ok := findLine(got, "memory"); !ok || p != "/user.slice/session-1.scope" {
		t.Errorf("memory line: %q %v", p, ok)
	}
	if p, ok := findLine(got, "systemd"); ok {
		t.Errorf("name=systemd must not match controller systemd, got %q", p)
	}
	if p, ok := findLine(got, ""); !ok || p != "/" {
		t.Errorf("v2 line: %q %v", p, ok)
	}
	got, err = parseProcCgroup(strings.NewReader("0::/a:b\n\n"))
	if err != nil || len(got) != 1 || got[0].path != "/a:b" || got[0].controllers != nil {
		t.Errorf("colon in path: %+v, %v", got, err)
	}
	for _, in := range []string{"4:memory\n", "x:memory:/\n", "4:memory:relative\n"} {
		if l, err := parseProcCgroup(strings.NewReader(in)); err == nil {
			t.Errorf("%q: got %+v, want error", in, l)
		}
	}
}
