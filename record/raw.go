package record

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"

	"github.com/memstorm/memstorm/trace"
)

// The shim's file: a 4096-byte header (magic, slots claimed, calls lost,
// pid, the kind of time stamp, the time the program's image started
// recording and its RssAnon then, and two (stamp, CLOCK_MONOTONIC) pairs),
// then 40-byte records (struct msr_rec in shimsrc/preload.c).
const (
	rawMagic  = "MSRAW002"
	rawHeader = 4096
	rawRecord = 40
)

// RSSSample is the recorded program's resident anonymous memory at a time
// of CLOCK_MONOTONIC.
type RSSSample struct {
	Mono  int64 // ns
	Bytes uint64
}

// Losses counts what a conversion could not carry into the trace.
type Losses struct {
	Unwritten     uint64 // slots claimed beyond the file's end (the program killed while the file grew)
	Unrecorded    uint64 // calls the shim could not record (no chunk could be mapped)
	UnknownFrees  uint64 // frees of addresses never seen allocated (allocated before the shim, or unrecorded)
	ReusedLive    uint64 // allocations at a live address (a free was missed): the old object was ended there
	PartialUnmaps uint64 // munmaps of part of a recorded mapping, or of mappings not recorded
	Reordered     uint64 // records whose time ran before the previous record's (cross-thread clock order); clamped
}

// rawRec is one record of the shim.
type rawRec struct {
	t, a, b, c uint64
	tid, op    uint32
}

// Convert reads the shim's file and writes the trace: the threads' records
// merged in time-stamp order, times relative to start, with the RSS samples
// merged in by time. It returns what was lost.
func Convert(raw io.ReaderAt, size int64, start int64, rss []RSSSample, w *trace.Writer) (Losses, error) {
	var l Losses
	var hdr [72]byte
	if _, err := raw.ReadAt(hdr[:], 0); err != nil || string(hdr[:8]) != rawMagic {
		return l, fmt.Errorf("the shim's file has no header (did the program start?)")
	}
	count := binary.LittleEndian.Uint64(hdr[8:])
	l.Unrecorded = binary.LittleEndian.Uint64(hdr[16:])
	clk := clock{tick0: binary.LittleEndian.Uint64(hdr[48:]), ns0: int64(binary.LittleEndian.Uint64(hdr[32:])), rate: 1}
	if binary.LittleEndian.Uint32(hdr[28:]) == 1 {
		// TSC counts: the rate from the first and the latest pair; a
		// recording too short for two pairs a millisecond apart keeps the
		// order of its calls and puts them all at the first pair's time.
		calTick, calNs := binary.LittleEndian.Uint64(hdr[56:]), int64(binary.LittleEndian.Uint64(hdr[64:]))
		clk.rate = 0
		if calTick > clk.tick0 && calNs-clk.ns0 >= 1_000_000 {
			clk.rate = float64(calNs-clk.ns0) / float64(calTick-clk.tick0)
		}
	}
	// Samples the launcher took before the program's image began (of the
	// forked launcher, or of a wrapper it executed) are not the program's;
	// the shim's own reading at that moment is its baseline.
	if initNs := int64(binary.LittleEndian.Uint64(hdr[32:])); initNs > 0 {
		kept := []RSSSample{{Mono: initNs, Bytes: binary.LittleEndian.Uint64(hdr[40:])}}
		for _, s := range rss {
			if s.Mono > initNs {
				kept = append(kept, s)
			}
		}
		rss = kept
	}
	if avail := uint64(max(size-rawHeader, 0)) / rawRecord; count > avail {
		l.Unwritten += count - avail
		count = avail
	}
	sort.Slice(rss, func(i, j int) bool { return rss[i].Mono < rss[j].Mono })
	c := &converter{w: w, ids: trace.NewIDs(), threads: map[uint32]uint32{}, start: start, l: &l, rss: rss, lastTid: ^uint32(0)}
	runs, err := findRuns(raw, count)
	if err != nil {
		return l, err
	}
	err = merge(raw, runs, func(rec rawRec, slot uint64) error {
		rec.t = uint64(clk.ns(rec.t))
		if err := c.add(rec); err != nil {
			return fmt.Errorf("record %d: %w", slot, err)
		}
		return nil
	})
	if err != nil {
		return l, err
	}
	if err := c.flushRSS(1<<62 + start); err != nil {
		return l, err
	}
	return l, nil
}

type converter struct {
	w       *trace.Writer
	ids     *trace.IDs
	mmaps   []uint64 // by id: 1 + the size of a live mmap object, 0 for others (munmap checks the length)
	threads map[uint32]uint32
	lastTid uint32 // the previous record's tid and its thread index
	lastIdx uint32
	start   int64
	last    int64
	rss     []RSSSample
	l       *Losses
}

func (c *converter) at(mono int64) int64 {
	t := max(mono-c.start, 0)
	if t < c.last {
		c.l.Reordered++
		t = c.last
	}
	c.last = t
	return t
}

// flushRSS writes the samples taken before mono.
func (c *converter) flushRSS(mono int64) error {
	for len(c.rss) > 0 && c.rss[0].Mono <= mono {
		s := c.rss[0]
		c.rss = c.rss[1:]
		t := max(s.Mono-c.start, c.last)
		c.last = t
		if err := c.w.Write(trace.Event{Op: trace.OpRSS, Time: t, Size: s.Bytes}); err != nil {
			return err
		}
	}
	return nil
}

func (c *converter) thread(tid uint32) uint32 {
	if tid == c.lastTid {
		return c.lastIdx
	}
	t, ok := c.threads[tid]
	if !ok {
		t = uint32(len(c.threads))
		c.threads[tid] = t
	}
	c.lastTid, c.lastIdx = tid, t
	return t
}

func (c *converter) add(r rawRec) error {
	op := trace.Op(r.op)
	if err := c.flushRSS(int64(r.t)); err != nil {
		return err
	}
	e := trace.Event{Op: op, Thread: c.thread(r.tid), Time: c.at(int64(r.t)), Size: r.b}
	c.ids.SetThread(e.Thread)
	switch op {
	case trace.OpFree, trace.OpMunmap:
		id, ok := c.ids.Lookup(r.a)
		if !ok || (op == trace.OpMunmap) != c.isMmap(id) || (op == trace.OpMunmap && r.b < c.mmaps[id]-1) {
			if op == trace.OpMunmap {
				c.l.PartialUnmaps++
			} else {
				c.l.UnknownFrees++
			}
			return nil
		}
		c.ids.Free(r.a)
		c.setMmap(id, 0)
		e.ID, e.Size = id, 0
		return c.w.Write(e)
	case trace.OpRealloc:
		old, ok := c.ids.Lookup(r.c)
		if !ok || c.isMmap(old) {
			// The old block was not seen: the new one is a plain allocation.
			c.l.UnknownFrees++
			e.Op = trace.OpMalloc
			return c.alloc(e, r.a)
		}
		c.ids.Free(r.c)
		e.OldID = old
		return c.alloc(e, r.a)
	case trace.OpMalloc, trace.OpCalloc, trace.OpMmap:
		return c.alloc(e, r.a)
	case trace.OpPosixMemalign, trace.OpAlignedAlloc, trace.OpMemalign, trace.OpValloc:
		e.Align = r.c
		if e.Align == 0 || e.Align&(e.Align-1) != 0 {
			e.Align = 16 // refused by the real call, but it returned memory: keep the object
		}
		return c.alloc(e, r.a)
	}
	return fmt.Errorf("unknown op %d in the shim's file", r.op)
}

// isMmap reports whether id is a live mapping.
func (c *converter) isMmap(id uint32) bool { return int(id) < len(c.mmaps) && c.mmaps[id] != 0 }

// setMmap records id as a mapping of size-1 bytes (0: not a mapping).
func (c *converter) setMmap(id uint32, v uint64) {
	for int(id) >= len(c.mmaps) {
		if v == 0 {
			return
		}
		c.mmaps = append(c.mmaps, 0)
	}
	c.mmaps[id] = v
}

func (c *converter) alloc(e trace.Event, addr uint64) error {
	if prev, live := c.ids.Lookup(addr); live {
		c.l.ReusedLive++
		op := trace.OpFree
		if c.isMmap(prev) {
			op = trace.OpMunmap
		}
		c.ids.Free(addr)
		c.setMmap(prev, 0)
		if err := c.w.Write(trace.Event{Op: op, Thread: e.Thread, Time: e.Time, ID: prev}); err != nil {
			return err
		}
	}
	id, _, _ := c.ids.Alloc(addr)
	e.ID = id
	if e.Op == trace.OpMmap {
		c.setMmap(id, e.Size+1)
	}
	return c.w.Write(e)
}
