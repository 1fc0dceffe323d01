package procfs

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The repeated smaps_rollup read on this live process. At 100 Hz a read of c
// ns would cost c/1e7 of a core: 10 µs per read is 0.1 %.
func BenchmarkProcessReader(b *testing.B) {
	r := newSelfReader(b)
	var sm SmapsRollup
	b.ReportAllocs()
	for b.Loop() {
		if err := r.SmapsRollup(&sm); err != nil {
			b.Fatal(err)
		}
	}
}

// The reads through os.Open + io.ReadAll, for comparison.
func BenchmarkProcOpenRead(b *testing.B) {
	p := DefaultFS.Self()
	for name, read := range map[string]func() error{
		"Status":      func() error { _, err := p.Status(); return err },
		"Stat":        func() error { _, err := p.Stat(); return err },
		"SmapsRollup": func() error { _, err := p.SmapsRollup(); return err },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// smaps_rollup walks every page table entry of the process, status does
// not: cost against resident anonymous memory touched in one mapping, and
// against the number of mappings (a fragmented heap of many mmaps).
func BenchmarkSmapsRollupByRSS(b *testing.B) {
	page := os.Getpagesize()
	for _, tc := range []struct {
		name  string
		bytes int
		split bool // mprotect every other page so each page is its own VMA
	}{
		{"rss=16MiB", 16 << 20, false},
		{"rss=256MiB", 256 << 20, false},
		{"vmas=16384", 16384 * page, true},
	} {
		mem, err := unix.Mmap(-1, 0, tc.bytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			b.Fatal(err)
		}
		// Keep the kernel from backing it with huge pages, which would make
		// the walk 512 times shorter than the 4 KiB case being measured.
		if err := unix.Madvise(mem, unix.MADV_NOHUGEPAGE); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(mem); i += page {
			mem[i] = 1
		}
		if tc.split {
			for i := page; i < len(mem); i += 2 * page {
				if err := unix.Mprotect(mem[i:i+page], unix.PROT_READ); err != nil {
					b.Fatal(err)
				}
			}
		}
		r := newSelfReader(b)
		self := DefaultFS.Self()
		var sm SmapsRollup
		b.Run(fmt.Sprintf("%s/SmapsRollup", tc.name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := r.SmapsRollup(&sm); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(sm.Rss>>20), "rss-MiB")
		})
		b.Run(fmt.Sprintf("%s/Status", tc.name), func(b *testing.B) { // open, read and parse
			b.ReportAllocs()
			for b.Loop() {
				if _, err := self.Status(); err != nil {
					b.Fatal(err)
				}
			}
		})
		if err := unix.Munmap(mem); err != nil {
			b.Fatal(err)
		}
	}
}
