package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/units"
)

func TestParseHugeTLBEvents(t *testing.T) {
	for name, want := range map[string]int64{"hugetlb.2MB.events.before": 0, "hugetlb.2MB.events.after": 1} {
		f, err := os.Open(filepath.Join("testdata/v2-hugetlb", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseHugeTLBEvents(f)
		_ = f.Close()
		if err != nil || got != want {
			t.Errorf("%s: got %d, %v; want %d", name, got, err, want)
		}
	}
	for _, bad := range []string{"", "max x\n", "max -1\n", "other 3\n"} {
		if n, err := ParseHugeTLBEvents(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: got %d and no error", bad, n)
		}
	}
}

func TestHugeTLBFailuresSumsSizes(t *testing.T) {
	dir := t.TempDir()
	after, err := os.ReadFile("testdata/v2-hugetlb/hugetlb.2MB.events.after")
	if err != nil {
		t.Fatal(err)
	}
	// No hugetlb files: the controller is not there, which is not zero.
	if n, err := hugeTLBFailures(2, dir); err != nil || n != units.Absent {
		t.Fatalf("empty dir: got %d, %v; want absent", n, err)
	}
	for _, f := range []string{"hugetlb.2MB.events", "hugetlb.1GB.events"} {
		if err := os.WriteFile(filepath.Join(dir, f), after, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// events.local must not count twice.
	if err := os.WriteFile(filepath.Join(dir, "hugetlb.2MB.events.local"), after, 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := hugeTLBFailures(2, dir); err != nil || n != 2 {
		t.Fatalf("v2: got %d, %v; want 2", n, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hugetlb.2MB.failcnt"), []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := hugeTLBFailures(1, dir); err != nil || n != 3 {
		t.Fatalf("v1: got %d, %v; want 3", n, err)
	}
}

func TestHugeTLBKernelName(t *testing.T) {
	for in, want := range map[int64]string{2 << 20: "2MB", 1 << 30: "1GB", 64 << 10: "64KB", 32 << 20: "32MB"} {
		if got, err := hugeTLBKernelName(in); err != nil || got != want {
			t.Errorf("%d: got %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := hugeTLBKernelName(1000); err == nil {
		t.Error("1000 bytes: no error")
	}
}
