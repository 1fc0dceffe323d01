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
// so the struct may live in a shared mmap page.
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
	AllocOps int64
	// FreeOps counts objects freed.
	FreeOps int64
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
		LiveBytes:        atomic.LoadInt64(&c.LiveBytes),
		LiveObjects:      atomic.LoadInt64(&c.LiveObjects),
		AllocBytes:       atomic.LoadInt64(&c.AllocBytes),
		FreeBytes:        atomic.LoadInt64(&c.FreeBytes),
		AllocOps:         atomic.LoadInt64(&c.AllocOps),
		FreeOps:          atomic.LoadInt64(&c.FreeOps),
		BookkeepingBytes: atomic.LoadInt64(&c.BookkeepingBytes),
		Failures:         atomic.LoadInt64(&c.Failures),
	}
}
