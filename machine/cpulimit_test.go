package machine

import (
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/cgroup"
)

func TestParseQuota(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"max 100000", 0, true}, {"-1 100000", 0, true}, {"150000 100000", 1.5, true},
		{"50000 100000", 0.5, true}, {"", 0, false}, {"0 100000", 0, false}, {"x 100000", 0, false},
	} {
		got, err := parseQuota(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseQuota(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestCPUQuotaFromTheRunsCgroup: the quota is read from this process's own
// cgroup of the captured host; a host whose cgroup sets none has 0.
func TestCPUQuotaFromTheRunsCgroup(t *testing.T) {
	for _, tc := range []struct {
		tree string
		want float64
	}{{"v2", 0}, {"v1-hybrid", 0}, {filepath.Join("cases", "v2-cpu-quota"), 1.5}} {
		dir := filepath.Join("testdata", tc.tree)
		got, err := cpuQuota(cgroup.Roots{Proc: filepath.Join(dir, "proc"), FS: dir})
		if err != nil || got != tc.want {
			t.Errorf("%s: quota %v, %v; want %v", tc.tree, got, err, tc.want)
		}
	}
	if n := usableCPUs(); n < 1 {
		t.Errorf("usable CPUs %d, want at least 1", n)
	}
}
