package sample

import (
	"os"
	"testing"
	"time"
)

// TestCgroupFilePages: the cgroup's page cache and shmem come from
// memory.stat by exact key: total_cache and total_shmem on v1 (captured
// from a v1 cgroup after 8 MiB were written to /dev/shm and 12 MiB to
// /tmp: cache 20 MiB, shmem 8 MiB; cache and shmem, the cgroup's own
// without its children, are other keys), file and shmem on v2 (not
// file_mapped or shmem_thp); -1 when the file lacks the key or there is no
// file.
func TestCgroupFilePages(t *testing.T) {
	open := func(p string) *os.File {
		t.Helper()
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	statm, status, stat := open("/proc/self/statm"), open("/proc/self/status"), open("/proc/self/stat")
	page := sharedPage(t, 1)
	for _, tc := range []struct {
		name       string
		file       string
		v1         bool
		cache, shm int64
	}{
		{"v1", "testdata/v1/memory.stat", true, 20 << 20, 8 << 20},
		{"v2", "testdata/v2/memory.stat", false, 0, 0},
		{"v2 read as v1", "testdata/v2/memory.stat", true, -1, -1},
		{"none", "", false, -1, -1},
	} {
		src := Source{Procs: []Proc{{Statm: statm, Status: status, Stat: stat, Page: page, Blocks: 0}}, MemStatV1: tc.v1}
		if tc.file != "" {
			src.MemStat = open(tc.file)
		}
		th, err := New(src, Now(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := th.Once()
		th.Stop()
		if !ok || r.CgroupFile != tc.cache || r.CgroupShmem != tc.shm {
			t.Errorf("%s: file %d, shmem %d (ok %v); want %d, %d", tc.name, r.CgroupFile, r.CgroupShmem, ok, tc.cache, tc.shm)
		}
	}
}

// TestCgroupSwapFromMemStat: on v1 with swap accounting the cgroup's swap
// is memory.stat's total_swap when the sampler reads memory.stat, not
// memsw less usage, two files read at two instants (which, with usage
// growing between the reads, showed swap on a host that has none). The
// memsw and usage files here say 8 MiB; the memory.stat beside them, 0.
func TestCgroupSwapFromMemStat(t *testing.T) {
	open := func(p string) *os.File {
		t.Helper()
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	statm, status, stat := open("/proc/self/statm"), open("/proc/self/status"), open("/proc/self/stat")
	src := Source{Procs: []Proc{{Statm: statm, Status: status, Stat: stat, Page: sharedPage(t, 1)}},
		Usage: open("../cgroup/testdata/v1/swapped/memory.usage_in_bytes"),
		Swap:  open("../cgroup/testdata/v1/swapped/memory.memsw.usage_in_bytes"), SwapMemsw: true}
	for _, tc := range []struct {
		memstat string
		want    int64
	}{{"", 8 << 20}, {"testdata/v1/memory.stat", 0}} {
		src.MemStat, src.MemStatV1 = nil, true
		if tc.memstat != "" {
			src.MemStat = open(tc.memstat)
		}
		th, err := New(src, Now(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := th.Once()
		th.Stop()
		if !ok || r.CgroupSwap != tc.want {
			t.Errorf("memory.stat %q: cgroup swap %d (ok %v), want %d", tc.memstat, r.CgroupSwap, ok, tc.want)
		}
	}
}

// TestCgroupAnonTHP: the cgroup's anon in transparent huge pages comes
// from memory.stat with the page cache: total_rss_huge on v1 (captured
// from a v1 cgroup holding a C program that had written 32 MiB advised
// MADV_HUGEPAGE, 2 MiB aligned: 32 MiB, as its smaps_rollup's
// AnonHugePages said), anon_thp on v2 (captured with none: 0, not -1); -1
// when the file lacks the key or there is none.
func TestCgroupAnonTHP(t *testing.T) {
	open := func(p string) *os.File {
		t.Helper()
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	statm, status, stat := open("/proc/self/statm"), open("/proc/self/status"), open("/proc/self/stat")
	for _, tc := range []struct {
		name, file string
		v1         bool
		want       int64
	}{
		{"v1", "testdata/v1-thp/memory.stat", true, 32 << 20},
		{"v1 without", "testdata/v1/memory.stat", true, 0},
		{"v2", "testdata/v2/memory.stat", false, 0},
		{"v1 read as v2", "testdata/v1-thp/memory.stat", false, -1},
		{"none", "", false, -1},
	} {
		src := Source{Procs: []Proc{{Statm: statm, Status: status, Stat: stat, Page: sharedPage(t, 1)}}, MemStatV1: tc.v1}
		if tc.file != "" {
			src.MemStat = open(tc.file)
		}
		th, err := New(src, Now(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := th.Once()
		th.Stop()
		if !ok || r.CgroupAnonTHP != tc.want {
			t.Errorf("%s: anon THP %d (ok %v), want %d", tc.name, r.CgroupAnonTHP, ok, tc.want)
		}
	}
}
