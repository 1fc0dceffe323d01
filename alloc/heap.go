package alloc

/*
#cgo noescape ms_heap_stats
#cgo nocallback ms_heap_stats
#cgo noescape ms_trim
#cgo nocallback ms_trim
#cgo noescape ms_trim_thread
#cgo nocallback ms_trim_thread
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

// Heap reads a's statistics; a should come from Detect. It makes no call to
// the malloc family (a test counts them): the worker calls it between phases
// and a single small allocation there can pin glibc's top chunk.
//
//	glibc:    mallinfo2: InUse = uordblks+hblkhd, Held = arena+hblkhd;
//	          Arenas counts <heap> in malloc_info, written into a FILE with
//	          a static buffer over a memfd that Detect made (its one
//	          allocation); Retained -1. Both walk every free chunk of every
//	          arena under its lock.
//	jemalloc: after an "epoch" refresh, stats.allocated, stats.resident,
//	          stats.retained, arenas.narenas (-1 each if built without stats);
//	          mallctl allocates only internally, never through malloc.
//	tcmalloc: generic.current_allocated_bytes, generic.heap_size minus
//	          tcmalloc.pageheap_unmapped_bytes, the unmapped bytes; Arenas -1.
//	mimalloc: Held = current commit from mi_process_info. InUse, Retained and
//	          Arenas are -1: release builds keep no allocation statistics,
//	          and per-heap visits see only the calling thread.
func Heap(a Allocator) HeapStats {
	detected() // resolves the allocator's functions; a no-op after the first call
	var h C.ms_heap
	C.ms_heap_stats(kindOf(a.Name), &h)
	return HeapStats{InUse: int64(h.in_use), Held: int64(h.held), Retained: int64(h.retained), Arenas: int(h.arenas)}
}

// Trim is TrimSteps without the description.
func Trim(a Allocator) error {
	_, err := TrimSteps(a)
	return err
}

// TrimSteps asks a to return free memory to the OS as far as it can, and
// says what it called, for the report. Like Heap it makes no malloc-family
// call. The per-thread part (TrimThread) applies to the calling thread only;
// run TrimThread on every other allocating thread first to release theirs.
//
//	glibc:    malloc_trim(0): consolidates and gives back free pages anywhere
//	          in every arena (madvise), not only the top. Chunks parked in a
//	          thread's tcache stay in use: glibc has no call to flush one.
//	jemalloc: thread.tcache.flush, then arena.4096.purge (all arenas, dirty
//	          and muzzy pages at once, whatever the decay times).
//	tcmalloc: MallocExtension_MarkThreadIdle (the thread cache back to the
//	          central lists, so whole spans can free), then
//	          MallocExtension_ReleaseFreeMemory (the page heap's free spans).
//	mimalloc: mi_collect(true): frees empty pages and cached segments. A
//	          segment that still holds a live object keeps its freed pages
//	          committed: mimalloc 2.0 defers their decommit (decommit_delay,
//	          25 ms, extended 1 ms per span freed) until it next frees or
//	          allocates a page in that segment, and has no call to force it.
func TrimSteps(a Allocator) (string, error) {
	detected()
	var what [256]C.char
	rc := C.ms_trim(kindOf(a.Name), &what[0], C.size_t(len(what)))
	return trimResult(a, "trim", rc, &what[0])
}

// TrimThread releases the calling thread's allocator cache, as Trim does for
// its own thread: jemalloc thread.tcache.flush, tcmalloc
// MallocExtension_MarkThreadIdle, mimalloc mi_collect(true) (the thread's
// heap). glibc has no such call: ErrUnsupported. No malloc-family call.
func TrimThread(a Allocator) (string, error) {
	detected()
	var what [256]C.char
	rc := C.ms_trim_thread(kindOf(a.Name), &what[0], C.size_t(len(what)))
	return trimResult(a, "thread trim", rc, &what[0])
}

func trimResult(a Allocator, op string, rc C.int, what *C.char) (string, error) {
	switch {
	case rc == C.ENOSYS:
		return "", fmt.Errorf("alloc: %s on %s: %w", op, a.Name, ErrUnsupported)
	case rc != 0:
		return C.GoString(what), fmt.Errorf("alloc: %s on %s: %w", op, a.Name, syscall.Errno(rc))
	}
	return C.GoString(what), nil
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
