package alloc

import (
	"encoding/binary"
	"errors"
	"io"
	"unsafe"
)

// ReplayOpsMagic opens the file WriteOps writes.
const ReplayOpsMagic = "MSROPS01"

// WriteOps writes r's decoded ops for a plain C program to replay
// (alloc/cref's replay mode): the magic, the op, object and sync point
// counts as little-endian uint64s, then the ops as replay.h's ms_rop. Only
// a replay on one thread (its ops in recorded order) can be written.
func (r *Replay) WriteOps(w io.Writer) error {
	if r.closed || r.ops == nil {
		return errors.New("alloc: replay already run or closed")
	}
	if r.Threads != 1 {
		return errors.New("alloc: only a one-thread replay's ops can be written")
	}
	var h [32]byte
	copy(h[:], ReplayOpsMagic)
	binary.LittleEndian.PutUint64(h[8:], uint64(r.nops))
	binary.LittleEndian.PutUint64(h[16:], uint64(r.nobjs))
	binary.LittleEndian.PutUint64(h[24:], uint64(r.nsync))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(r.ops[:r.nops*int64(ropSize)])
	return err
}

// PairRSS pairs readings taken at r's sync points (RssAnon, -1 where none
// was read) with the recorded samples, as a replay's own are.
func (r *Replay) PairRSS(readings []int64) *ReplayRSS {
	n := len(r.recRSS)
	if n == 0 || len(readings) < n {
		return nil
	}
	return pairRSS(r.recRSS, readings[:n], r.baseIdx)
}

// Close unmaps a replay that is not to be run.
func (r *Replay) Close() {
	if !r.closed {
		r.unmap()
		r.closed = true
	}
}

// syncReadings is the RssAnon each sync point read.
func (r *Replay) syncReadings() []int64 {
	return unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(r.sync))), r.nsync)
}
