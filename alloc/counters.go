package alloc

/*
#include "ops.h"
*/
import "C"

import (
	"sync/atomic"
	"unsafe"
)

// Counters are the running totals of one Engine. The C engine writes them with
// relaxed atomic stores at least once per batch (every 64 operations or 16 MiB
// inside Fill, every 4096 frees inside Free) and at the end of every call; other
// goroutines or processes read them with sync/atomic (or Load). The layout is
// fixed: eight int64 in this order, 64 bytes, identical to the C ms_counters,
// so the struct may live in a shared mmap page (the worker's status page,
// whose sampler copies blocks of eight words).
//
// The harness's own memory is BookkeepingBytes (persistent, at most 8 B per
// live object plus a page or two) and, while a selection runs, transient
// memory whose largest size so far is TransientPeakBytes; a sample's harness
// band is BookkeepingBytes, and a phase's worst case adds TransientPeakBytes.
type Counters struct {
	// LiveBytes is the requested bytes of live objects (mmap objects count
	// their requested size, not the page-rounded mapping).
	LiveBytes int64
	// LiveObjects is the number of live objects.
	LiveObjects int64
	// AllocBytes is the requested bytes of every successful allocation so far.
	AllocBytes int64
	// FreeBytes is the requested bytes of every free so far.
	FreeBytes int64
	// AllocOps counts objects allocated (a Realloc growth chain counts once).
	// The objects freed are AllocOps - LiveObjects (FreeOps).
	AllocOps int64
	// TransientPeakBytes is the most memory the engine has held at once for
	// a single call beyond its bookkeeping, since NewEngine or the last
	// ResetTransientPeak: KeepOnePerPage's page set (mmap'd; 16 to 32 B per
	// distinct 4 KiB page that a candidate object starts on, at least 8 KiB),
	// Churn's ring of pointers (8 B per live object, mmap'd), and for Go-heap
	// objects the 17 B per object of selection arrays on the Go heap. The
	// memory is given back before the call returns.
	TransientPeakBytes int64
	// BookkeepingBytes is the memory the engine itself holds to track live
	// objects: its 4 KiB control page, the resident part of the slot array
	// (8 bytes per live object, rounded up to a page) and, for Via Go, 24
	// bytes of slice header per slot of the Go-side list.
	BookkeepingBytes int64
	// Failures counts allocations that failed (FillENOMEM results).
	Failures int64
}

// Compile-time check that the Go and C layouts agree.
var _ [unsafe.Sizeof(Counters{}) - unsafe.Sizeof(C.ms_counters{})]byte
var _ [unsafe.Sizeof(C.ms_counters{}) - unsafe.Sizeof(Counters{})]byte

// Load returns a snapshot of c read field by field with atomic loads.
func (c *Counters) Load() Counters {
	return Counters{
		LiveBytes:          atomic.LoadInt64(&c.LiveBytes),
		LiveObjects:        atomic.LoadInt64(&c.LiveObjects),
		AllocBytes:         atomic.LoadInt64(&c.AllocBytes),
		FreeBytes:          atomic.LoadInt64(&c.FreeBytes),
		AllocOps:           atomic.LoadInt64(&c.AllocOps),
		TransientPeakBytes: atomic.LoadInt64(&c.TransientPeakBytes),
		BookkeepingBytes:   atomic.LoadInt64(&c.BookkeepingBytes),
		Failures:           atomic.LoadInt64(&c.Failures),
	}
}

// FreeOps is the number of objects freed: AllocOps - LiveObjects. (The
// Counters word that held it now holds TransientPeakBytes: the status page
// gives each thread's Counters exactly eight words.)
func (c Counters) FreeOps() int64 { return c.AllocOps - c.LiveObjects }
