package wire

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/alloc"
)

// StatusPage is a small shared-memory region (a memfd mapped by both the
// supervisor and the worker) through which the worker publishes its live
// counters. The supervisor reads it at every sample without a round trip, so
// the live bytes in a sample are those of that instant, not of the worker's
// last message. The worker's allocation engines write their alloc.Counters
// straight into it; the worker's heap reporter writes the header.
//
// Layout: one header of 8 int64 words, then one alloc.Counters per thread.
type StatusPage struct {
	file *os.File
	mem  []byte
	n    int // worker threads
}

const pageMagic = 0x6d656d73746f726d // "memstorm"

// Header words of the status page.
const (
	HdrMagic     = iota
	HdrStep      // index of the running step, -1 before the first
	HdrHeapInuse // allocator figures, refreshed by the worker's reporter
	HdrHeapHeld
	HdrHeapRetained
	HdrHeapArenas
	HdrHeapSeq // incremented after each refresh
	HdrReserved
	HdrWords
)

// Word indexes in a thread's block (its alloc.Counters), which the
// sampling thread sums over the threads.
const (
	BlockLive = iota
	BlockObjects
	BlockAllocBytes
	BlockFreeBytes
)

const headerBytes = HdrWords * 8

func pageSize(threads int) int {
	n := headerBytes + threads*int(unsafe.Sizeof(alloc.Counters{}))
	ps := os.Getpagesize()
	return (n + ps - 1) / ps * ps
}

// NewStatusPage creates the shared page for a worker with the given number
// of threads (supervisor side).
func NewStatusPage(threads int) (*StatusPage, error) {
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
	p, err := MapStatusPage(f, threads)
	if err != nil {
		f.Close()
		return nil, err
	}
	p.store(HdrMagic, pageMagic)
	p.store(HdrStep, -1)
	for _, w := range []int{HdrHeapInuse, HdrHeapHeld, HdrHeapRetained, HdrHeapArenas} {
		p.store(w, -1)
	}
	return p, nil
}

// MapStatusPage maps an existing page (worker side, from an inherited fd).
func MapStatusPage(f *os.File, threads int) (*StatusPage, error) {
	size := pageSize(threads)
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping the worker status page (%d bytes): %w", size, err)
	}
	return &StatusPage{file: f, mem: mem, n: threads}, nil
}

func (p *StatusPage) word(i int) *int64 {
	return (*int64)(unsafe.Pointer(&p.mem[i*8]))
}

func (p *StatusPage) load(i int) int64     { return atomic.LoadInt64(p.word(i)) }
func (p *StatusPage) store(i int, v int64) { atomic.StoreInt64(p.word(i), v) }

// counters returns the alloc.Counters slot of worker thread i.
func (p *StatusPage) Counters(i int) *alloc.Counters {
	off := headerBytes + i*int(unsafe.Sizeof(alloc.Counters{}))
	return (*alloc.Counters)(unsafe.Pointer(&p.mem[off]))
}

// LiveTotals is the sum of every thread's counters, read atomically field by
// field (fields of different threads are not a consistent snapshot, which
// is fine for a curve sampled every few milliseconds).
type LiveTotals struct {
	Live, Objects, AllocBytes, FreeBytes, Bookkeeping, Failures, AllocOps int64
}

func (p *StatusPage) Totals() LiveTotals {
	var t LiveTotals
	for i := 0; i < p.n; i++ {
		c := p.Counters(i)
		t.Live += atomic.LoadInt64(&c.LiveBytes)
		t.Objects += atomic.LoadInt64(&c.LiveObjects)
		t.AllocBytes += atomic.LoadInt64(&c.AllocBytes)
		t.FreeBytes += atomic.LoadInt64(&c.FreeBytes)
		t.Bookkeeping += atomic.LoadInt64(&c.BookkeepingBytes)
		t.Failures += atomic.LoadInt64(&c.Failures)
		t.AllocOps += atomic.LoadInt64(&c.AllocOps)
	}
	return t
}

// setHeap publishes the allocator's heap figures (worker side).
func (p *StatusPage) SetHeap(h alloc.HeapStats) {
	p.store(HdrHeapInuse, h.InUse)
	p.store(HdrHeapHeld, h.Held)
	p.store(HdrHeapRetained, h.Retained)
	p.store(HdrHeapArenas, int64(h.Arenas))
	atomic.AddInt64(p.word(HdrHeapSeq), 1)
}

func (p *StatusPage) Heap() alloc.HeapStats {
	return alloc.HeapStats{
		InUse:    p.load(HdrHeapInuse),
		Held:     p.load(HdrHeapHeld),
		Retained: p.load(HdrHeapRetained),
		Arenas:   int(p.load(HdrHeapArenas)),
	}
}

func (p *StatusPage) Close() error {
	err := unix.Munmap(p.mem)
	if cerr := p.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// SetStep publishes the index of the step the worker runs (worker side).
func (p *StatusPage) SetStep(i int) { p.store(HdrStep, int64(i)) }

// File is the memfd behind the page, for the worker to inherit.
func (p *StatusPage) File() *os.File { return p.file }

// Mem is the mapped page, for the sampling thread to read.
func (p *StatusPage) Mem() []byte { return p.mem }

// Threads is the number of worker threads whose counters the page holds.
func (p *StatusPage) Threads() int { return p.n }
