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

// Via is the allocation call a Fill uses.
type Via int

// Allocation calls.
const (
	// Malloc calls malloc(size).
	Malloc Via = C.MS_VIA_MALLOC
	// Calloc calls calloc(1, size).
	Calloc Via = C.MS_VIA_CALLOC
	// Realloc grows each object by realloc, doubling from 16 B (or its size,
	// if smaller) up to its final size; the chain counts as one allocation.
	Realloc Via = C.MS_VIA_REALLOC
	// PosixMemalign calls posix_memalign(&p, Align, size).
	PosixMemalign Via = C.MS_VIA_MEMALIGN
	// Mmap maps MAP_PRIVATE|MAP_ANONYMOUS, size rounded up to 4 KiB pages,
	// and unmaps on free.
	Mmap Via = C.MS_VIA_MMAP
	// Go allocates []byte on the Go heap, kept in a Go-side list. Its
	// bookkeeping is not 8 B per object: a 24-byte slice header per list
	// slot (counted in BookkeepingBytes) plus Go heap size-class rounding.
	// Freed objects become garbage for the Go collector. The Go runtime
	// aborts the process on real exhaustion, so FillENOMEM is only reported
	// for sizes beyond the runtime's maximum allocation (2^48 bytes).
	Go Via = C.MS_VIA_GO
)

// String returns a short lower-case name for logs and reports.
func (v Via) String() string {
	switch v {
	case Malloc:
		return "malloc"
	case Calloc:
		return "calloc"
	case Realloc:
		return "realloc"
	case PosixMemalign:
		return "posix_memalign"
	case Mmap:
		return "mmap"
	case Go:
		return "go"
	case File:
		return "file"
	case Tmpfs:
		return "tmpfs"
	case Memfd:
		return "memfd"
	case Shm:
		return "shm"
	}
	return fmt.Sprintf("Via(%d)", int(v))
}

// FillSpec says what one Fill call allocates.
type FillSpec struct {
	Via Via
	// Align is the posix_memalign alignment: a power of two >= 8, 0 meaning
	// 16. It must be 0 for every other Via.
	Align int64
	Dist  Dist
	// Touch writes one byte in every 4 KiB of each object and its last
	// byte (once for objects under 4 KiB), making the pages resident.
	Touch bool
	// MaxBytes and MaxCount end the call (FillDone) once it has added at
	// least that many requested bytes or objects; 0 means no bound.
	MaxBytes, MaxCount int64
	// Populate, Huge and Lock apply to Mmap only (pages.go): how each
	// mapping becomes resident (instead of Touch), which pages it asks
	// for, and whether it is mlock'd (resident, never reclaimed; an
	// mlock refused by RLIMIT_MEMLOCK ends the fill as FillENOMEM).
	Populate Populate
	Huge     Huge
	Lock     bool
}

// FillStatus says why a Fill call returned.
type FillStatus int

// Fill outcomes.
const (
	// FillBudget: the time budget elapsed with more to do.
	FillBudget FillStatus = C.MS_FILL_BUDGET
	// FillDone: MaxBytes or MaxCount was reached.
	FillDone FillStatus = C.MS_FILL_DONE
	// FillENOMEM: an allocation failed (malloc returned NULL, mmap failed,
	// or the slot array could not grow: FailedSize 0). Nothing leaked; the
	// objects allocated before stay live.
	FillENOMEM FillStatus = C.MS_FILL_ENOMEM
)

// String returns a short lower-case name for logs and reports.
func (s FillStatus) String() string {
	switch s {
	case FillBudget:
		return "budget"
	case FillDone:
		return "done"
	case FillENOMEM:
		return "enomem"
	}
	return fmt.Sprintf("FillStatus(%d)", int(s))
}

// FillResult reports one Fill call.
type FillResult struct {
	Status FillStatus
	// Bytes and Count are what this call added.
	Bytes, Count int64
	// Errno and FailedSize describe the failed allocation of FillENOMEM.
	Errno      syscall.Errno
	FailedSize int64
}

// Fill allocates objects per spec until MaxBytes/MaxCount, an allocation
// failure, or budget. The whole loop runs in C, in batches: the clock is read
// every 64 objects or 16 MiB, so a call overruns budget by at most one batch
// and always allocates at least one batch unless a bound or failure ends it.
func (e *Engine) Fill(spec FillSpec, budget time.Duration) (FillResult, error) {
	if e.ce == nil {
		return FillResult{}, ErrClosed
	}
	cd, cum, err := spec.Dist.compile()
	if err != nil {
		return FillResult{}, err
	}
	if spec.MaxBytes < 0 || spec.MaxCount < 0 {
		return FillResult{}, fmt.Errorf("alloc: fill: negative MaxBytes %d or MaxCount %d", spec.MaxBytes, spec.MaxCount)
	}
	align := spec.Align
	switch {
	case spec.Via == PosixMemalign && align == 0:
		align = 16
	case spec.Via == PosixMemalign && (align < 8 || align&(align-1) != 0):
		return FillResult{}, fmt.Errorf("alloc: fill: posix_memalign alignment %d is not a power of two >= 8", align)
	case spec.Via != PosixMemalign && align != 0:
		return FillResult{}, fmt.Errorf("alloc: fill: Align %d given for via %v (only posix_memalign aligns)", align, spec.Via)
	}
	if err := spec.checkPages(); err != nil {
		return FillResult{}, err
	}
	var sizes *C.int64_t
	var cump *C.double
	if spec.Dist.Kind == Histogram {
		sizes = (*C.int64_t)(unsafe.Pointer(&spec.Dist.Sizes[0]))
		cump = (*C.double)(unsafe.Pointer(&cum[0]))
	}
	switch spec.Via {
	case Malloc, Calloc, Realloc, PosixMemalign, Mmap, File, Tmpfs, Memfd, Shm:
	case Go:
		return e.fillGo(spec, cd, sizes, cump, budget)
	default:
		return FillResult{}, fmt.Errorf("alloc: fill: unknown via %d", int(spec.Via))
	}
	f := C.ms_fill_spec{via: C.int(spec.Via), align: C.int64_t(align), dist: cd,
		max_bytes: C.int64_t(spec.MaxBytes), max_count: C.int64_t(spec.MaxCount), budget_ns: C.int64_t(budget),
		populate: C.int(spec.Populate), huge: C.int(spec.Huge)}
	if spec.Lock {
		f.lock = 1
	}
	if spec.Touch {
		f.touch = 1
	}
	var r C.ms_fill_result
	rc := C.ms_fill(e.ce, &f, sizes, cump, e.cpub(), &r)
	runtime.KeepAlive(spec.Dist.Sizes)
	runtime.KeepAlive(cum)
	runtime.KeepAlive(e.pub)
	res := FillResult{Status: FillStatus(r.status), Bytes: int64(r.bytes), Count: int64(r.count),
		Errno: syscall.Errno(r.err), FailedSize: int64(r.failed_size)}
	if rc != 0 {
		return res, fmt.Errorf("alloc: fill via %v: %w", spec.Via, syscall.Errno(rc))
	}
	return res, nil
}
