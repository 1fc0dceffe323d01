package alloc

/*
#include "ops.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

const goSliceHeader = int64(unsafe.Sizeof([]byte(nil)))

// goSelectBytes is the Go-heap memory freeGo needs per Go-heap object while
// it selects: an address, a size and a pick flag.
const goSelectBytes = 8 + 8 + 1

// fillGo is Fill for Via Go: sizes come from the engine's C PRNG (one cgo
// call per 64 sizes), objects from make([]byte).
func (e *Engine) fillGo(spec FillSpec, cd C.ms_dist, sizes *C.int64_t, cum *C.double, budget time.Duration) (res FillResult, err error) {
	deadline := time.Now().Add(budget)
	var batch [64]int64
	c := &e.ce.c
	defer e.publishGo()
	for {
		n := int64(len(batch))
		if spec.MaxCount > 0 {
			n = min(n, spec.MaxCount-res.Count)
		}
		C.ms_sample_batch(e.ce, &cd, sizes, cum, (*C.int64_t)(unsafe.Pointer(&batch[0])), C.int64_t(n))
		for _, size := range batch[:n] {
			if (spec.MaxCount > 0 && res.Count >= spec.MaxCount) || (spec.MaxBytes > 0 && res.Bytes >= spec.MaxBytes) {
				res.Status = FillDone
				return res, nil
			}
			b, ok := makeBytes(size)
			if !ok {
				c.failures++
				res.Status, res.Errno, res.FailedSize = FillENOMEM, syscall.ENOMEM, size
				return res, nil
			}
			if spec.Touch {
				for o := int64(0); o < size; o += 4096 {
					b[o] = 0x5a
				}
				b[size-1] = 0x5a
			}
			e.goObjs = append(e.goObjs, b)
			c.live_bytes += C.int64_t(size)
			c.live_objects++
			c.alloc_bytes += C.int64_t(size)
			c.alloc_ops++
			res.Bytes += size
			res.Count++
		}
		if (spec.MaxCount > 0 && res.Count >= spec.MaxCount) || (spec.MaxBytes > 0 && res.Bytes >= spec.MaxBytes) {
			res.Status = FillDone
			return res, nil
		}
		e.publishGo()
		if !time.Now().Before(deadline) {
			res.Status = FillBudget
			return res, nil
		}
	}
}

// makeBytes allocates size bytes, reporting false for sizes the Go runtime
// refuses with a panic (beyond its maximum allocation).
func makeBytes(size int64) (b []byte, ok bool) {
	defer func() {
		if recover() != nil {
			b, ok = nil, false
		}
	}()
	return make([]byte, size), true
}

func (e *Engine) publishGo() {
	e.ce.extra_book = C.int64_t(int64(cap(e.goObjs)) * goSliceHeader)
	C.ms_publish(e.ce, e.cpub())
	runtime.KeepAlive(e.pub)
}

// freeGo runs the selection over the Go-heap objects (their own sequence)
// with the same C chooser, drops the chosen ones and compacts the list.
func (e *Engine) freeGo(cs *C.ms_selection) (bytes, count int64, err error) {
	n := len(e.goObjs)
	if n == 0 {
		return 0, 0, nil
	}
	// The three arrays are transient harness memory on the Go heap.
	addrs := make([]uint64, n)
	sizes := make([]int64, n)
	pick := make([]uint8, n)
	var setPeak C.int64_t
	for i, b := range e.goObjs {
		addrs[i] = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
		sizes[i] = int64(len(b))
	}
	rc := C.ms_select_batch(cs, C.int64_t(n), (*C.uint64_t)(unsafe.Pointer(&addrs[0])),
		(*C.int64_t)(unsafe.Pointer(&sizes[0])), (*C.uint8_t)(unsafe.Pointer(&pick[0])), &setPeak)
	C.ms_note_transient(e.ce, C.int64_t(int64(n)*goSelectBytes)+setPeak)
	if rc != 0 {
		e.publishGo()
		return 0, 0, fmt.Errorf("alloc: selecting Go-heap objects: %w", syscall.Errno(rc))
	}
	w := 0
	for i, b := range e.goObjs {
		if pick[i] == 0 {
			e.goObjs[w] = b
			w++
			continue
		}
		bytes += sizes[i]
		count++
	}
	clear(e.goObjs[w:])
	e.goObjs = e.goObjs[:w]
	if w < cap(e.goObjs)/4 {
		e.goObjs = append([][]byte(nil), e.goObjs...)
	}
	c := &e.ce.c
	c.live_bytes -= C.int64_t(bytes)
	c.live_objects -= C.int64_t(count)
	c.free_bytes += C.int64_t(bytes)
	e.publishGo()
	return bytes, count, nil
}
