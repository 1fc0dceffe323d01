package cgroup

import (
	"path/filepath"
	"testing"
)

// BenchmarkReadStats measures one full Stats read of a captured cgroup
// directory (7-10 small files), the per-sample cost of the supervisor.
func BenchmarkReadStats(b *testing.B) {
	for _, v := range []int{1, 2} {
		dir := filepath.Join("testdata", map[int]string{1: "v1", 2: "v2"}[v], "after-oom")
		b.Run(filepath.Base(filepath.Dir(dir)), func(b *testing.B) {
			for b.Loop() {
				if _, err := readStats(v, dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUsagePread measures one pread(2) of the live usage file at
// offset 0, the worker's polling path.
func BenchmarkUsagePread(b *testing.B) {
	h, err := Detect(DefaultRoots())
	if err != nil {
		b.Skipf("no memory cgroup: %v", err)
	}
	g, err := h.Current()
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	buf := make([]byte, 32)
	f := g.UsageFile()
	for b.Loop() {
		if n, err := f.ReadAt(buf, 0); n == 0 {
			b.Fatal(err)
		}
	}
}
