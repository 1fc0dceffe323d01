package alloc

/*
#cgo noescape msc_read
#cgo nocallback msc_read
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include "ops.h"

// The malloc-count interposer's readers (testdata/malloccount.c), looked up
// once, so that reading the counts afterwards calls nothing that allocates.
typedef int (*msc_fn)(uint64_t *, int);
static msc_fn msc_fns[2];

static int msc_resolve(void)
{
	msc_fns[0] = (msc_fn)dlsym(RTLD_DEFAULT, "msc_counts");
	msc_fns[1] = (msc_fn)dlsym(RTLD_DEFAULT, "msc_thread_counts");
	return msc_fns[0] && msc_fns[1];
}

static int msc_read(int thread, uint64_t *out, int n)
{
	msc_fn f = msc_fns[thread != 0];
	return f ? f(out, n) : -1;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// This file holds unexported hooks that tests and benchmarks need (test files
// cannot use cgo themselves).

// object is one live C-side object as the slot array records it.
type object struct {
	addr uint64
	size int64
	mmap bool
}

// objects decodes the slot array in allocation order.
func (e *Engine) objects() []object {
	out := make([]object, 0, int(e.ce.len))
	for i := C.int64_t(0); i < e.ce.len; i++ {
		var addr C.uint64_t
		var tag C.int
		size := C.ms_slot(e.ce, i, &addr, &tag)
		out = append(out, object{addr: uint64(addr), size: int64(size), mmap: tag == 1})
	}
	return out
}

// churn runs ms_churn: ops malloc+free pairs over a ring of live objects with
// sizes from d, all inside one cgo call.
func churn(seed uint64, d Dist, live, ops int64) error {
	cd, cum, err := d.compile()
	if err != nil {
		return err
	}
	if d.Kind == Histogram {
		return fmt.Errorf("alloc: churn: histogram not supported")
	}
	_ = cum
	var rng [4]C.uint64_t
	C.ms_rng_seed(&rng[0], C.uint64_t(seed))
	if n := C.ms_churn(&rng[0], &cd, C.int64_t(live), C.int64_t(ops)); n != 0 {
		return fmt.Errorf("alloc: churn: %d failed mallocs", int64(n))
	}
	return nil
}

// cgoMallocFree is one malloc and one free, each its own cgo call: the cost
// the batched engine avoids.
func cgoMallocFree(size int) {
	p := C.malloc(C.size_t(size))
	C.free(unsafe.Pointer(p))
}

// mallocCounts are the interposer's call counts, in its order: malloc,
// calloc, realloc, free, posix_memalign, aligned_alloc, memalign, valloc, and
// the free(NULL) calls among the frees.
type mallocCounts [9]uint64

// resolveMallocCounter finds the interposer's readers; false when the
// process runs without it.
func resolveMallocCounter() bool { return C.msc_resolve() != 0 }

// readMallocCounts returns the process's counts, or the calling thread's.
// It calls into the interposer only: no allocation, Go or C.
func readMallocCounts(thread bool) (m mallocCounts) {
	t := C.int(0)
	if thread {
		t = 1
	}
	C.msc_read(t, (*C.uint64_t)(unsafe.Pointer(&m[0])), C.int(len(m)))
	return m
}
