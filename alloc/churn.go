package alloc

/*
#include "ops.h"
*/
import "C"

import (
	"errors"
	"fmt"
)

// Churn runs the steady-state malloc/free op stream of ops_churn.c on the
// calling thread: it mallocs live objects with sizes from d into a ring, then
// ops times frees a random one and mallocs a new one, then frees the ring.
// Sizes and picks come from e's seeded PRNG, so the same seed yields the same
// op stream as the plain-C reference (alloc/cref) built from the same source.
// The whole stream is one cgo call: the cost per pair is the allocator's, not
// cgo's. Churn's objects are not e's live objects; its counters do not change.
// failed counts mallocs that returned NULL (they are skipped, not retried).
func (e *Engine) Churn(d Dist, live, ops int64) (failed int64, err error) {
	if e.ce == nil {
		return 0, ErrClosed
	}
	if live < 1 || ops < 0 {
		return 0, fmt.Errorf("alloc: churn: need live >= 1 and ops >= 0, have live %d ops %d", live, ops)
	}
	if d.Kind == Histogram {
		return 0, errors.New("alloc: churn: histogram sizes are not supported")
	}
	cd, _, err := d.compile()
	if err != nil {
		return 0, err
	}
	// The ring of live pointers is transient harness memory (mmap'd).
	C.ms_note_transient(e.ce, C.int64_t((live*8+4095)&^4095))
	C.ms_publish(e.ce, e.cpub())
	n := C.ms_churn(&e.ce.rng[0], &cd, C.int64_t(live), C.int64_t(ops))
	if n < 0 {
		return 0, errors.New("alloc: churn: mapping the ring of live objects failed")
	}
	return int64(n), nil
}
