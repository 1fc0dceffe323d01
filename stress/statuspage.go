package stress

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/alloc"
)

// statusPage is a small shared-memory region (a memfd mapped by both the
// supervisor and the worker) through which the worker publishes its live
// counters. The supervisor reads it at every sample without a round trip, so
// the live bytes in a sample are those of that instant, not of the worker's
// last message. The worker's allocation engines write their alloc.Counters
// straight into it; the worker's heap reporter writes the header.
//
// Layout: one header of 8 int64 words, then one alloc.Counters per thread.
type statusPage struct {
	file *os.File
	mem  []byte
	n    int // worker threads
}

const pageMagic = 0x6d656d73746f726d // "memstorm"

// Header words of the status page.
const (
	hdrMagic     = iota
	hdrStep      // index of the running step, -1 before the first
	hdrHeapInuse // allocator figures, refreshed by the worker's reporter
	hdrHeapHeld
	hdrHeapRetained
	hdrHeapArenas
	hdrHeapSeq // incremented after each refresh
	hdrReserved
	hdrWords
)

const headerBytes = hdrWords * 8

func pageSize(threads int) int {
	n := headerBytes + threads*int(unsafe.Sizeof(alloc.Counters{}))
	ps := os.Getpagesize()
	return (n + ps - 1) / ps * ps
}

// newStatusPage creates the shared page for a worker with the given number
// of threads (supervisor side).
func newStatusPage(threads int) (*statusPage, error) {
	fd, err := unix.MemfdCreate("memstorm-status", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating the worker status page: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memstorm-status")
	size := pageSize(threads)
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("sizing the worker status page to %d bytes: %w", size, err)
	}
	p, err := mapStatusPage(f, threads)
	if err != nil {
		f.Close()
		return nil, err
	}
	p.store(hdrMagic, pageMagic)
	p.store(hdrStep, -1)
	for _, w := range []int{hdrHeapInuse, hdrHeapHeld, hdrHeapRetained, hdrHeapArenas} {
		p.store(w, -1)
	}
	return p, nil
}

// mapStatusPage maps an existing page (worker side, from an inherited fd).
func mapStatusPage(f *os.File, threads int) (*statusPage, error) {
	size := pageSize(threads)
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping the worker status page (%d bytes): %w", size, err)
	}
	return &statusPage{file: f, mem: mem, n: threads}, nil
}

func (p *statusPage) word(i int) *int64 {
	return (*int64)(unsafe.Pointer(&p.mem[i*8]))
}

func (p *statusPage) load(i int) int64     { return atomic.LoadInt64(p.word(i)) }
func (p *statusPage) store(i int, v int64) { atomic.StoreInt64(p.word(i), v) }

// counters returns the alloc.Counters slot of worker thread i.
func (p *statusPage) counters(i int) *alloc.Counters {
	off := headerBytes + i*int(unsafe.Sizeof(alloc.Counters{}))
	return (*alloc.Counters)(unsafe.Pointer(&p.mem[off]))
}

// liveTotals is the sum of every thread's counters, read atomically field by
// field (fields of different threads are not a consistent snapshot, which
// is fine for a curve sampled every few milliseconds).
type liveTotals struct {
	Live, Objects, AllocBytes, FreeBytes, Bookkeeping, Failures int64
}

func (p *statusPage) totals() liveTotals {
	var t liveTotals
	for i := 0; i < p.n; i++ {
		c := p.counters(i)
		t.Live += atomic.LoadInt64(&c.LiveBytes)
		t.Objects += atomic.LoadInt64(&c.LiveObjects)
		t.AllocBytes += atomic.LoadInt64(&c.AllocBytes)
		t.FreeBytes += atomic.LoadInt64(&c.FreeBytes)
		t.Bookkeeping += atomic.LoadInt64(&c.BookkeepingBytes)
		t.Failures += atomic.LoadInt64(&c.Failures)
	}
	return t
}

// setHeap publishes the allocator's heap figures (worker side).
func (p *statusPage) setHeap(h alloc.HeapStats) {
	p.store(hdrHeapInuse, h.InUse)
	p.store(hdrHeapHeld, h.Held)
	p.store(hdrHeapRetained, h.Retained)
	p.store(hdrHeapArenas, int64(h.Arenas))
	atomic.AddInt64(p.word(hdrHeapSeq), 1)
}

func (p *statusPage) heap() alloc.HeapStats {
	return alloc.HeapStats{
		InUse:    p.load(hdrHeapInuse),
		Held:     p.load(hdrHeapHeld),
		Retained: p.load(hdrHeapRetained),
		Arenas:   int(p.load(hdrHeapArenas)),
	}
}

func (p *statusPage) close() error {
	err := unix.Munmap(p.mem)
	if cerr := p.file.Close(); err == nil {
		err = cerr
	}
	return err
}
