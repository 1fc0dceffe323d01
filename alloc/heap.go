package alloc

/*
#include <errno.h>
#include <malloc.h>
#include "introspect.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrUnsupported is returned when the detected allocator lacks an operation
// (Mallopt on a non-glibc allocator, Trim on an unknown one).
var ErrUnsupported = errors.New("alloc: not supported by this allocator")

// HeapStats is the allocator's own view of its heap, in bytes; -1 where the
// allocator does not tell.
type HeapStats struct {
	// InUse is the bytes in live allocations as the allocator counts them
	// (including its rounding to size classes).
	InUse int64
	// Held is the bytes the allocator holds from the OS to back its heap:
	// in use, free but cached, and its overhead.
	Held int64
	// Retained is address space the allocator keeps but has given back to
	// the OS (not resident), ready for reuse.
	Retained int64
	// Arenas is the number of arenas.
	Arenas int
}

// Heap reads a's statistics; a should come from Detect.
//
//	glibc:    mallinfo2: InUse = uordblks+hblkhd, Held = arena+hblkhd;
//	          Arenas counts <heap> in malloc_info (which mallocs a small
//	          buffer itself); Retained -1.
//	jemalloc: after an "epoch" refresh, stats.allocated, stats.resident,
//	          stats.retained, arenas.narenas (-1 each if built without stats).
//	tcmalloc: generic.current_allocated_bytes, generic.heap_size minus
//	          tcmalloc.pageheap_unmapped_bytes, the unmapped bytes; Arenas -1.
//	mimalloc: Held = current commit from mi_process_info. InUse, Retained and
//	          Arenas are -1: release builds keep no allocation statistics,
//	          and per-heap visits see only the calling thread.
func Heap(a Allocator) HeapStats {
	var h C.ms_heap
	C.ms_heap_stats(kindOf(a.Name), &h)
	return HeapStats{InUse: int64(h.in_use), Held: int64(h.held), Retained: int64(h.retained), Arenas: int(h.arenas)}
}

// Trim asks a to return free memory to the OS: malloc_trim(0) for glibc,
// mallctl("arena.4096.purge") (all arenas) for jemalloc,
// MallocExtension_ReleaseFreeMemory for tcmalloc, mi_collect(true) for mimalloc.
func Trim(a Allocator) error {
	rc := C.ms_trim(kindOf(a.Name))
	switch {
	case rc == C.ENOSYS:
		return fmt.Errorf("alloc: trim on %s: %w", a.Name, ErrUnsupported)
	case rc != 0:
		return fmt.Errorf("alloc: trim on %s: %w", a.Name, syscall.Errno(rc))
	}
	return nil
}

var malloptParams = map[string]C.int{
	"M_MMAP_THRESHOLD": C.M_MMAP_THRESHOLD,
	"M_TRIM_THRESHOLD": C.M_TRIM_THRESHOLD,
	"M_ARENA_MAX":      C.M_ARENA_MAX,
	"M_TOP_PAD":        C.M_TOP_PAD,
	"M_MMAP_MAX":       C.M_MMAP_MAX,
	"M_ARENA_TEST":     C.M_ARENA_TEST,
}

// Mallopt sets a glibc malloc tunable by its name (M_MMAP_THRESHOLD,
// M_TRIM_THRESHOLD, M_ARENA_MAX, M_TOP_PAD, M_MMAP_MAX, M_ARENA_TEST). It
// fails on an unknown name, a value out of int range or refused by glibc, and
// with ErrUnsupported when glibc does not serve malloc.
func Mallopt(param string, value int64) error {
	p, ok := malloptParams[param]
	if !ok {
		return fmt.Errorf("alloc: unknown mallopt parameter %q", param)
	}
	if a := Detect(); a.Name != NameGlibc {
		return fmt.Errorf("alloc: mallopt %s under %s: %w", param, a.Name, ErrUnsupported)
	}
	if value < -1<<31 || value > 1<<31-1 {
		return fmt.Errorf("alloc: mallopt %s: value %d out of int range", param, value)
	}
	if C.ms_mallopt(p, C.int(value)) != 0 {
		return fmt.Errorf("alloc: mallopt %s=%d refused by glibc", param, value)
	}
	return nil
}
