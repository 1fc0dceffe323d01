package record

import (
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The shim gives each thread blocks of slots of its own, so the file holds
// runs of one thread's records, each in time order, interleaved in the
// order the blocks were claimed. A merge by time stamp (ties: file order)
// gives the program's global order of calls.

// run is a stretch of slots [start, end) of one thread, in time order.
type run struct{ start, end uint64 }

// clock turns the shim's time stamps into CLOCK_MONOTONIC nanoseconds: by
// the line through the header's two (stamp, ns) pairs when the stamps are
// TSC counts, as they are when they are nanoseconds.
type clock struct {
	tick0 uint64
	ns0   int64
	rate  float64 // ns per tick
}

func (c clock) ns(tick uint64) int64 {
	return c.ns0 + int64(math.Round(float64(int64(tick-c.tick0))*c.rate))
}

func decodeRec(r []byte) rawRec {
	return rawRec{t: binary.LittleEndian.Uint64(r), a: binary.LittleEndian.Uint64(r[8:]),
		b: binary.LittleEndian.Uint64(r[16:]), c: binary.LittleEndian.Uint64(r[24:]),
		tid: binary.LittleEndian.Uint32(r[32:]), op: binary.LittleEndian.Uint32(r[36:])}
}

// findRuns reads the count records once and returns the runs: maximal
// stretches of written records of one thread whose stamps do not decrease.
// Empty slots (the unused end of a block) separate runs.
func findRuns(raw io.ReaderAt, count uint64) ([]run, error) {
	var runs []run
	buf := make([]byte, rawRecord*4096)
	cur := run{}
	open := false
	var lastTid uint32
	var lastT uint64
	for i := uint64(0); i < count; {
		n := min(count-i, uint64(len(buf)/rawRecord))
		b := buf[:n*rawRecord]
		if _, err := raw.ReadAt(b, int64(rawHeader+i*rawRecord)); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading the shim's record %d: %w", i, err)
		}
		for k := uint64(0); k < n; k++ {
			r := b[k*rawRecord:]
			op := binary.LittleEndian.Uint32(r[36:])
			t := binary.LittleEndian.Uint64(r)
			tid := binary.LittleEndian.Uint32(r[32:])
			if open && (op == 0 || tid != lastTid || t < lastT) {
				cur.end = i + k
				runs = append(runs, cur)
				open = false
			}
			if op != 0 && !open {
				cur, open = run{start: i + k}, true
			}
			lastTid, lastT = tid, t
		}
		i += n
	}
	if open {
		cur.end = count
		runs = append(runs, cur)
	}
	return runs, nil
}

// cursor reads one run through a small buffer.
type cursor struct {
	run
	buf         []byte
	bufAt, bufN uint64 // the slots buf holds: [bufAt, bufAt+bufN)
	head        rawRec
}

const cursorRecs = 256

func (c *cursor) load(raw io.ReaderAt) error {
	if c.start < c.bufAt || c.start >= c.bufAt+c.bufN {
		n := min(c.end-c.start, cursorRecs)
		if c.buf == nil { // the run's first load is its largest
			c.buf = make([]byte, n*rawRecord)
		}
		if _, err := raw.ReadAt(c.buf[:n*rawRecord], int64(rawHeader+c.start*rawRecord)); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the shim's record %d: %w", c.start, err)
		}
		c.bufAt, c.bufN = c.start, n
	}
	c.head = decodeRec(c.buf[(c.start-c.bufAt)*rawRecord:])
	return nil
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	if h[i].head.t != h[j].head.t {
		return h[i].head.t < h[j].head.t
	}
	return h[i].start < h[j].start
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge calls fn with every written record in time order (ties in file
// order) and its slot index.
func merge(raw io.ReaderAt, runs []run, fn func(rawRec, uint64) error) error {
	h := make(cursorHeap, 0, len(runs))
	for _, r := range runs {
		c := &cursor{run: r}
		if err := c.load(raw); err != nil {
			return err
		}
		h = append(h, c)
	}
	heap.Init(&h)
	for len(h) > 0 {
		c := h[0]
		if err := fn(c.head, c.start); err != nil {
			return err
		}
		c.start++
		if c.start == c.end {
			c.buf = nil
			heap.Pop(&h)
			continue
		}
		if err := c.load(raw); err != nil {
			return err
		}
		// Most records come from the run already at the top.
		if (len(h) < 2 || !h.Less(1, 0)) && (len(h) < 3 || !h.Less(2, 0)) {
			continue
		}
		heap.Fix(&h, 0)
	}
	return nil
}
