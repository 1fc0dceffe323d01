package alloc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/trace"
)

// LoadReplay decodes the trace at path for replay; with oneThread every op
// runs on one thread in recorded order. A trace that does not decode gives
// the reader's *trace.FormatError, wrapped with the path.
func LoadReplay(path string, oneThread bool) (*Replay, error) {
	sum, nops, peakIdx, err := scanTrace(path)
	if err != nil {
		return nil, err
	}
	nrss := int64(sum.Events) - nops
	r := &Replay{Summary: sum, Threads: int(max(sum.Threads, 1)), nobjs: int64(sum.MaxObjects), baseIdx: -1, peakIdx: peakIdx}
	if oneThread {
		r.Threads = 1
	}
	r.nsync = nrss
	if peakIdx >= 0 {
		r.nsync++
	}
	nops += r.nsync * int64(r.Threads)
	r.nops = nops
	if nops >= int64(noNext) {
		return nil, fmt.Errorf("%s: %d ops, above the replay's %d", path, nops, noNext-1)
	}
	ok := false
	defer func() {
		if !ok {
			r.unmap()
		}
	}()
	if r.objs, err = anon(max(r.nobjs, 1) * robjSize); err != nil {
		return nil, err
	}
	if r.first, err = anon(int64(r.Threads) * 4); err != nil {
		return nil, err
	}
	if r.Threads > 1 {
		if r.done, err = anon(max(nops, 1)); err != nil {
			return nil, err
		}
	}
	if r.nsync > 0 {
		if r.sync, err = anon(r.nsync * 20); err != nil {
			return nil, err
		}
		r.recRSS = make([]int64, 0, nrss)
	}
	f, err := os.CreateTemp("", "memstorm-replay-")
	if err != nil {
		return nil, fmt.Errorf("the replay's op file: %w", err)
	}
	defer f.Close()
	os.Remove(f.Name())
	size := max(nops, 1) * int64(ropSize)
	if err := f.Truncate(size); err != nil {
		return nil, fmt.Errorf("the replay's op file %s: %w", f.Name(), err)
	}
	w, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping the replay's op file: %w", err)
	}
	err = r.build(path, w)
	_ = unix.Munmap(w)
	if err != nil {
		return nil, err
	}
	if r.ops, err = unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED); err != nil {
		return nil, fmt.Errorf("mapping the replay's op file: %w", err)
	}
	// The tables become resident now, so that a replay's anonymous RSS
	// grows by the heap under test only.
	for _, b := range [][]byte{r.objs, r.done, r.first, r.sync} {
		for i := 0; i < len(b); i += os.Getpagesize() {
			b[i] = 0
		}
	}
	ok = true
	return r, nil
}

// The sync op (replay.h's MS_ROP_SYNC) and its kinds.
const (
	opSync   = 13
	syncRSS  = 0
	syncPeak = 1
)

func anon(n int64) ([]byte, error) {
	b, err := unix.Mmap(-1, 0, int(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mapping %d bytes for the replay: %w", n, err)
	}
	return b, nil
}

func openTrace(path string) (*os.File, *trace.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := trace.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, r, nil
}

// scanTrace reads the trace through: its summary, the ops to replay
// (every event but the RSS samples) and the index of the event at which
// the peak of live bytes is first reached (-1: none).
func scanTrace(path string) (trace.Summary, int64, int64, error) {
	f, r, err := openTrace(path)
	if err != nil {
		return trace.Summary{}, 0, -1, err
	}
	defer f.Close()
	var n, k int64
	peakIdx, peak := int64(-1), uint64(0)
	for ; ; k++ {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r.Summary(), n, peakIdx, nil
		}
		if err != nil {
			return trace.Summary{}, 0, -1, fmt.Errorf("%s: %w", path, err)
		}
		if e.Op != trace.OpRSS {
			n++
		}
		if p := r.Summary().PeakLive; p > peak {
			peak, peakIdx = p, k
		}
	}
}

// build decodes the trace a second time into ops: each op linked to its
// thread's next, and waiting for the op of another thread that touched its
// objects last.
func (r *Replay) build(path string, w []byte) error {
	f, rd, err := openTrace(path)
	if err != nil {
		return err
	}
	defer f.Close()
	ops := unsafe.Slice((*rop)(unsafe.Pointer(unsafe.SliceData(w))), r.nops)
	first := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(r.first))), r.Threads)
	last := make([]uint32, r.Threads)
	for i := range first {
		first[i], last[i] = noNext, noNext
	}
	// lastOp[id] is 1 + the op that touched id last; lastThread its thread.
	lastOp := make([]uint32, r.nobjs)
	lastThread := make([]uint16, r.nobjs)
	var i uint32
	sawAlloc := false
	link := func(th uint16) {
		if last[th] == noNext {
			first[th] = i
		} else {
			ops[last[th]].Next = i
		}
		last[th] = i
		i++
	}
	// syncAll puts sync point k in every thread's chain.
	syncAll := func(k uint32, kind uint64, t int64) {
		for th := range r.Threads {
			ops[i] = rop{T: t, Size: kind, ID: k, Thread: uint16(th), Op: opSync, Next: noNext}
			link(uint16(th))
		}
	}
	for k := int64(0); ; k++ {
		e, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if e.Op == trace.OpRSS {
			s := uint32(len(r.recRSS))
			r.recRSS = append(r.recRSS, int64(e.Size))
			if !sawAlloc {
				r.baseIdx = int(s)
			}
			syncAll(s, syncRSS, e.Time)
			continue
		}
		if e.Op.Allocates() {
			sawAlloc = true
		}
		th := uint16(e.Thread)
		if r.Threads == 1 {
			th = 0
		}
		o := rop{T: e.Time, Size: e.Size, ID: e.ID, Old: e.OldID, Thread: th, Op: uint8(e.Op), Next: noNext}
		if e.Align > 1 {
			for a := e.Align; a > 1; a >>= 1 {
				o.Align++
			}
		}
		dep := func(id uint32) uint32 {
			d := uint32(0)
			if lastOp[id] != 0 && lastThread[id] != th {
				d = lastOp[id]
			}
			lastOp[id], lastThread[id] = i+1, th
			return d
		}
		if e.Op == trace.OpRealloc {
			o.Dep2 = dep(e.OldID)
		}
		o.Dep = dep(e.ID)
		ops[i] = o
		link(th)
		if k == r.peakIdx {
			syncAll(uint32(r.nsync-1), syncPeak, e.Time)
		}
	}
	return nil
}
