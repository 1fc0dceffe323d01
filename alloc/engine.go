package alloc

/*
#cgo CFLAGS: -O2 -Wall
#cgo LDFLAGS: -ldl -lm
#include "ops.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// ErrClosed is returned by every method of an Engine after Close.
var ErrClosed = errors.New("alloc: engine closed")

// Engine allocates and frees through the process allocator from one OS
// thread. It is not safe for concurrent use; a worker thread owns it (and
// should runtime.LockOSThread, so that thread caches and arenas stay put).
// Its control block and slot array live in their own anonymous mappings,
// outside both the Go heap and the allocator under test.
type Engine struct {
	ce     *C.ms_engine
	pub    *Counters
	goObjs [][]byte // Via Go objects, allocation order
}

// NewEngine returns an engine whose PRNG (xoshiro256**) is seeded with seed,
// so the same calls yield the same sizes. c receives the running totals; the
// caller owns it (it may sit in a shared mapping) and must keep it valid
// until Close returns.
func NewEngine(seed uint64, c *Counters) (*Engine, error) {
	if c == nil {
		return nil, errors.New("alloc: NewEngine: nil Counters")
	}
	var errno C.int
	ce := C.ms_engine_new(C.uint64_t(seed), &errno)
	if ce == nil {
		return nil, fmt.Errorf("alloc: mapping engine control page: %w", syscall.Errno(errno))
	}
	e := &Engine{ce: ce, pub: c}
	C.ms_publish(ce, e.cpub())
	return e, nil
}

// cpub is the caller's Counters as the C type; it is only ever passed as a
// call argument, never retained by C.
func (e *Engine) cpub() *C.ms_counters { return (*C.ms_counters)(unsafe.Pointer(e.pub)) }

// Counters returns the Counters given to NewEngine.
func (e *Engine) Counters() *Counters { return e.pub }

// Free frees the selected live objects of e and compacts the slot array,
// keeping allocation order. It returns the requested bytes and the number of
// objects freed. Malloc-family objects go to free(), mmap objects to munmap;
// Go-heap objects are dropped for the garbage collector.
func (e *Engine) Free(sel Selection) (bytes, count int64, err error) {
	return e.freeFrom(e, sel)
}

// FreeFrom frees src's selected objects from the calling thread (e's thread),
// which is how a cross-thread free is produced. src must be idle for the
// duration; its Counters are updated. e's own objects are untouched.
func (e *Engine) FreeFrom(src *Engine, sel Selection) (bytes, count int64, err error) {
	if e.ce == nil {
		return 0, 0, ErrClosed
	}
	return e.freeFrom(src, sel)
}

func (e *Engine) freeFrom(src *Engine, sel Selection) (bytes, count int64, err error) {
	if src.ce == nil {
		return 0, 0, ErrClosed
	}
	cs, err := sel.compile()
	if err != nil {
		return 0, 0, err
	}
	var cb, cc C.int64_t
	rc := C.ms_free(src.ce, &cs, src.cpub(), &cb, &cc)
	runtime.KeepAlive(src.pub)
	bytes, count = int64(cb), int64(cc)
	if rc != 0 {
		err = fmt.Errorf("alloc: free %v: %w", sel.Pattern, syscall.Errno(rc))
	}
	gb, gc, gerr := src.freeGo(&cs)
	if err == nil {
		err = gerr
	}
	return bytes + gb, count + gc, err
}

// Madvise applies adv to the selected live mmap objects (the selection runs
// over mmap objects only; malloc-family and Go-heap objects are skipped). It
// returns the page-rounded bytes advised and the number of objects. The
// objects stay live: counters do not change.
func (e *Engine) Madvise(sel Selection, adv Advice) (bytes, count int64, err error) {
	if e.ce == nil {
		return 0, 0, ErrClosed
	}
	cs, err := sel.compile()
	if err != nil {
		return 0, 0, err
	}
	var cb, cc C.int64_t
	rc := C.ms_madvise(e.ce, &cs, C.int(adv), e.cpub(), &cb, &cc)
	runtime.KeepAlive(e.pub)
	if rc != 0 {
		err = fmt.Errorf("alloc: madvise %v on %v: %w", adv, sel.Pattern, syscall.Errno(rc))
	}
	return int64(cb), int64(cc), err
}

// ResetTransientPeak sets Counters.TransientPeakBytes back to zero, so that
// it tells the transient need of the calls that follow (a phase's).
func (e *Engine) ResetTransientPeak() {
	if e.ce == nil {
		return
	}
	e.ce.c.transient_peak_bytes = 0
	C.ms_publish(e.ce, e.cpub())
	runtime.KeepAlive(e.pub)
}

// Close frees every live object, unmaps the bookkeeping and leaves the
// Counters with LiveBytes, LiveObjects and BookkeepingBytes at zero. Closing
// twice returns ErrClosed.
func (e *Engine) Close() error {
	if e.ce == nil {
		return ErrClosed
	}
	_, _, gerr := e.freeGo(&C.ms_selection{pattern: C.MS_SEL_ALL})
	e.goObjs = nil
	e.ce.extra_book = 0
	rc := C.ms_engine_close(e.ce, e.cpub())
	runtime.KeepAlive(e.pub)
	e.ce = nil
	if rc != 0 {
		return fmt.Errorf("alloc: closing engine: %w", syscall.Errno(rc))
	}
	return gerr
}
