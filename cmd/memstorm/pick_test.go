package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPick: --pick N runs the Nth of the runs the arguments name, scenario
// by scenario and allocators in order, into --out itself; an index out of
// range is bad usage naming the range.
func TestPick(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cell")
	want := []string{"oom-at-limit (1 steps) under glibc", "oom-at-limit (1 steps) under jemalloc",
		"fill-to-limit-then-free (4 steps) under glibc", "fill-to-limit-then-free (4 steps) under jemalloc"}
	for i, w := range want {
		code, stdout, stderr := memstorm(t, "run", "--dry-run", "--pick", strconv.Itoa(i), "--limit", "64MiB",
			"--allocator", "glibc,jemalloc", "--out", out, "oom-at-limit", "fill-to-limit-then-free")
		if code != exitOK || strings.TrimSpace(stdout) != "would run "+w+" into "+out {
			t.Errorf("--pick %d: exit %d, %q %q; want %q into %s", i, code, stdout, stderr, w, out)
		}
	}
	for _, bad := range []string{"4", "-1"} {
		code, _, stderr := memstorm(t, "run", "--dry-run", "--pick", bad, "--limit", "64MiB",
			"--allocator", "glibc,jemalloc", "--out", out, "oom-at-limit", "fill-to-limit-then-free")
		if code != exitUsage || !strings.Contains(stderr, "want an index from 0 to 3") {
			t.Errorf("--pick %s: exit %d, %q; want exit 2 naming 0 to 3", bad, code, stderr)
		}
	}
}
