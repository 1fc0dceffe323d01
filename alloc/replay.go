package alloc

/*
#include <stddef.h>
#include "replay.h"
static size_t ms_rop_off(int i)
{
	static const size_t offs[] = {
	offsetof(ms_rop, t), offsetof(ms_rop, size), offsetof(ms_rop, id), offsetof(ms_rop, old),
	offsetof(ms_rop, dep), offsetof(ms_rop, dep2), offsetof(ms_rop, next), offsetof(ms_rop, thread),
	offsetof(ms_rop, op), offsetof(ms_rop, align_log2), sizeof(ms_rop),
	};
	return offs[i];
}
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/trace"
)

// rop is C's ms_rop (replay.h); replay_test.go checks the two agree.
type rop struct {
	T       int64
	Size    uint64
	ID, Old uint32
	Dep     uint32
	Dep2    uint32
	Next    uint32
	Thread  uint16
	Op      uint8
	Align   uint8
}

const ropSize = int(unsafe.Sizeof(rop{}))

// ropLayout returns the Go and the C offsets of rop's fields, and the sizes.
func ropLayout() (goView, cView []uintptr) {
	var o rop
	goView = []uintptr{unsafe.Offsetof(o.T), unsafe.Offsetof(o.Size), unsafe.Offsetof(o.ID), unsafe.Offsetof(o.Old),
		unsafe.Offsetof(o.Dep), unsafe.Offsetof(o.Dep2), unsafe.Offsetof(o.Next), unsafe.Offsetof(o.Thread),
		unsafe.Offsetof(o.Op), unsafe.Offsetof(o.Align), unsafe.Sizeof(o)}
	for i := range goView {
		cView = append(cView, uintptr(C.ms_rop_off(C.int(i))))
	}
	return goView, cView
}

const noNext = ^uint32(0)

// robjSize is C's sizeof(ms_robj): one object table entry.
const robjSize = int64(unsafe.Sizeof(C.ms_robj{}))

// Replay is a trace loaded for replay: its ops in a read-only mapping of an
// unlinked temporary file (page cache, not anonymous memory: they do not
// count in the RssAnon a replay is compared by), the object table and the
// cross-thread done bytes in anonymous mappings. None of it comes from the
// heap under test or the Go heap.
type Replay struct {
	Summary trace.Summary
	Threads int // threads that replay: the trace's, or 1
	ops     []byte
	objs    []byte
	done    []byte
	first   []byte
	sync    []byte // per sync point: RssAnon (int64), live bytes (int64), arrivals (uint32)
	nsync   int64
	nops    int64
	nobjs   int64
	closed  bool
	// RSS samples of the recorded program, replayed as sync points (all
	// threads stop there; see replay.h), then one sync point just after the
	// recorded peak of live bytes.
	recRSS  []int64 // the recorded values
	baseIdx int     // the last sample before the first allocation; -1: none
	peakIdx int64   // the trace event at which the peak live is reached; -1: none
}

// ReplayOptions are how a Replay runs.
type ReplayOptions struct {
	Touch bool    // write a byte in every page of each new object
	Speed float64 // 0: as fast as possible; N: recorded time divided by N
}

// ReplayResult is what one replay did.
type ReplayResult struct {
	Ops      int64 // ops replayed (the RSS samples not counted)
	Failures int64 // allocations that returned NULL
	// PeakLive is the most requested bytes live at once as the replay ran
	// (the engine's live bytes before included). On one thread it is the
	// recorded peak; threads running on their own between sync points can
	// exceed it (one frees later, another allocates earlier than recorded).
	PeakLive int64
	// AtRecordedPeak is the live requested bytes when every thread stood
	// at the recorded peak's point of the stream (the engine's before
	// included); -1 when the trace allocates nothing.
	AtRecordedPeak int64
	Elapsed        time.Duration // wall time of the ops
	// RSS compares the replay's anonymous RSS with the recorded program's
	// at the same points of the stream; nil when the trace has no samples.
	RSS *ReplayRSS
}

// ReplayRSS is anonymous RSS above a baseline, at the recorded program's
// RSS samples: the program's recorded value and the replay's reading when
// it reached the same point of the stream. The baseline is the last sample
// before the first allocation (the first sample when none is).
type ReplayRSS struct {
	Samples               int
	RecBaseline, Baseline int64
	RecPeak, Peak         int64
	RecLast, Last         int64 // at the last sample
}

// Bookkeeping is the anonymous memory the replay holds (the object table,
// done bytes and thread starts), which the engine's bookkeeping counts.
func (r *Replay) Bookkeeping() int64 {
	return int64(len(r.objs) + len(r.done) + len(r.first) + len(r.sync))
}

// Replay runs r's ops from the calling thread (thread 0) and r.Threads-1
// new OS threads, counting the objects in e's counters. A Replay runs once.
func (e *Engine) Replay(r *Replay, o ReplayOptions) (ReplayResult, error) {
	if e.ce == nil {
		return ReplayResult{}, ErrClosed
	}
	if r.closed || r.ops == nil {
		return ReplayResult{}, errors.New("alloc: replay already run or closed")
	}
	spec := C.ms_replay_spec{
		ops:      (*C.ms_rop)(unsafe.Pointer(unsafe.SliceData(r.ops))),
		nops:     C.int64_t(r.nops),
		objs:     (*C.ms_robj)(unsafe.Pointer(unsafe.SliceData(r.objs))),
		first:    (*C.uint32_t)(unsafe.Pointer(unsafe.SliceData(r.first))),
		nthreads: C.int(r.Threads),
		touch:    0,
		speed:    C.double(o.Speed),
	}
	if o.Touch {
		spec.touch = 1
	}
	if r.done != nil {
		spec.done = (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(r.done)))
	}
	if r.nsync > 0 {
		base := unsafe.Pointer(unsafe.SliceData(r.sync))
		spec.nsync = C.int64_t(r.nsync)
		spec.rss = (*C.int64_t)(base)
		spec.live_at = (*C.int64_t)(unsafe.Add(base, 8*r.nsync))
		spec.arrive = (*C.uint32_t)(unsafe.Add(base, 16*r.nsync))
	}
	e.ce.extra_book += C.int64_t(r.Bookkeeping())
	var res C.ms_replay_result
	C.ms_replay_run(&spec, e.ce, e.cpub(), &res)
	// The ops are read once: their pages go back to the page cache.
	_ = unix.Munmap(r.ops)
	r.ops = nil
	out := ReplayResult{Ops: int64(res.ops) - r.nsync*int64(r.Threads), Failures: int64(res.failures), PeakLive: int64(res.peak_live),
		AtRecordedPeak: -1, Elapsed: time.Duration(res.ns)}
	if r.peakIdx >= 0 {
		out.AtRecordedPeak = r.syncLive()[r.nsync-1]
	}
	out.RSS = r.rssFigures()
	if res.err != 0 {
		return out, fmt.Errorf("alloc: starting a replay thread: %w", syscall.Errno(res.err))
	}
	return out, nil
}

// rssFigures pairs the recorded samples with the replay's readings.
func (r *Replay) rssFigures() *ReplayRSS {
	if len(r.recRSS) == 0 {
		return nil
	}
	return pairRSS(r.recRSS, r.syncReadings()[:len(r.recRSS)], r.baseIdx)
}

func pairRSS(rec, got []int64, baseIdx int) *ReplayRSS {
	n := len(rec)
	b := max(baseIdx, 0)
	f := &ReplayRSS{Samples: n, RecBaseline: rec[b], Baseline: got[b]}
	for k := range n {
		f.RecPeak = max(f.RecPeak, rec[k]-f.RecBaseline)
		f.Peak = max(f.Peak, got[k]-f.Baseline)
	}
	f.RecLast, f.Last = rec[n-1]-f.RecBaseline, got[n-1]-f.Baseline
	return f
}

// syncLive is the live bytes each sync point read.
func (r *Replay) syncLive() []int64 {
	return unsafe.Slice((*int64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(r.sync)), 8*r.nsync)), r.nsync)
}

// ReleaseReplay frees the replay's objects still live (the recorded program
// exited holding them) from the calling thread and unmaps its bookkeeping.
// It returns the requested bytes freed.
func (e *Engine) ReleaseReplay(r *Replay) (int64, error) {
	if e.ce == nil {
		return 0, ErrClosed
	}
	if r.closed {
		return 0, nil
	}
	freed := int64(C.ms_replay_release((*C.ms_robj)(unsafe.Pointer(unsafe.SliceData(r.objs))), C.int64_t(r.nobjs), e.ce, e.cpub()))
	e.ce.extra_book -= C.int64_t(r.Bookkeeping())
	C.ms_publish(e.ce, e.cpub())
	r.unmap()
	r.closed = true
	return freed, nil
}

func (r *Replay) unmap() {
	for _, b := range [][]byte{r.ops, r.objs, r.done, r.first, r.sync} {
		if b != nil {
			_ = unix.Munmap(b)
		}
	}
	r.ops, r.objs, r.done, r.first, r.sync = nil, nil, nil, nil, nil
}
