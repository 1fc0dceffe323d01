package trace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// FormatError is the one error a Reader gives for input that is not a
// trace: truncated, corrupt, or inconsistent (a free of an object not live).
type FormatError struct {
	Offset int64  // byte offset of the event (or field) that failed
	Event  uint64 // index of that event, from 0
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("trace: event %d at byte %d: %s", e.Event, e.Offset, e.Msg)
}

// Summary is what a reader has learned of the events read so far; after
// Next returned io.EOF it describes the whole trace.
type Summary struct {
	Events      uint64 // events read (the end record excluded)
	Allocs      uint64 // events that allocated
	Threads     uint32 // distinct threads
	MaxObjects  uint32 // object ids used: the most objects live at once bounds it
	PeakLive    uint64 // the most requested bytes live at once
	PeakObjects uint64 // the most objects live at once
	Live        uint64 // requested bytes live at the end
	LiveObjects uint64 // objects live at the end (the program exited without freeing them)
	Duration    int64  // time of the last event, ns
	PeakRSS     uint64 // largest OpRSS sample
	LastRSS     uint64 // the last OpRSS sample
}

// Reader decodes a trace strictly. Its memory is one size per object id
// (bounded by the events read) and a small buffer.
type Reader struct {
	r       *bufio.Reader
	off     int64
	time    int64
	thread  uint32
	live    []uint64 // size+1 of live ids, 0 when free
	sum     Summary
	started bool
	done    bool
	err     error
}

// NewReader checks the magic and returns a Reader.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: bufio.NewReaderSize(r, 1<<16)}
	var m [len(Magic)]byte
	if _, err := io.ReadFull(rd.r, m[:]); err != nil || string(m[:]) != Magic {
		return nil, &FormatError{Msg: fmt.Sprintf("not a memstorm trace (want the magic %q)", Magic)}
	}
	rd.off = int64(len(Magic))
	return rd, nil
}

// Summary returns what was read so far.
func (r *Reader) Summary() Summary { return r.sum }

func (r *Reader) fail(at int64, format string, args ...any) error {
	r.err = &FormatError{Offset: at, Event: r.sum.Events, Msg: fmt.Sprintf(format, args...)}
	return r.err
}

func (r *Reader) uvarint(at int64, what string) (uint64, error) {
	var x uint64
	var s uint
	for i := 0; ; i++ {
		b, err := r.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, r.fail(at, "truncated in %s", what)
			}
			return 0, r.fail(at, "reading %s: %v", what, err)
		}
		r.off++
		if i == 9 && b > 1 || i > 9 {
			return 0, r.fail(at, "%s overflows 64 bits", what)
		}
		if b < 0x80 {
			if b == 0 && i > 0 {
				return 0, r.fail(at, "%s is not a minimal varint", what)
			}
			return x | uint64(b)<<s, nil
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
}

// Next returns the next event, io.EOF after the end record, or a
// *FormatError (and the same error on every later call).
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	if r.done {
		return Event{}, io.EOF
	}
	at := r.off
	tag, err := r.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Event{}, r.fail(at, "truncated: no end record after %d events", r.sum.Events)
		}
		return Event{}, r.fail(at, "reading: %v", err)
	}
	r.off++
	op := Op(tag &^ sameThread)
	if tag&0xe0 != 0 || op < 1 || op > opMax {
		return Event{}, r.fail(at, "unknown tag 0x%02x", tag)
	}
	e := Event{Op: op, Thread: r.thread}
	if tag&sameThread == 0 {
		if op == OpRSS || op == opEnd {
			return Event{}, r.fail(at, "%v record with a thread", op)
		}
		t, err := r.uvarint(at, "thread")
		if err != nil {
			return Event{}, err
		}
		if t > uint64(r.sum.Threads) || t >= MaxThreads {
			return Event{}, r.fail(at, "thread %d skips ids (next new thread is %d)", t, r.sum.Threads)
		}
		if r.started && t == uint64(r.thread) {
			return Event{}, r.fail(at, "thread %d repeated (the tag says so)", t)
		}
		if t == uint64(r.sum.Threads) {
			r.sum.Threads++
		}
		r.thread, e.Thread = uint32(t), uint32(t)
		r.started = true
	} else if !r.started && op != OpRSS && op != opEnd {
		return Event{}, r.fail(at, "first %v event names no thread", op)
	}
	dt, err := r.uvarint(at, "time delta")
	if err != nil {
		return Event{}, err
	}
	if op == opEnd && dt != 0 {
		return Event{}, r.fail(at, "end record with a time delta")
	}
	if dt > 1<<62 || r.time+int64(dt) < r.time {
		return Event{}, r.fail(at, "time delta %d overflows", dt)
	}
	r.time += int64(dt)
	e.Time = r.time
	if op == opEnd {
		return Event{}, r.end(at)
	}
	if err := r.fields(at, &e); err != nil {
		return Event{}, err
	}
	r.sum.Events++
	r.sum.Duration = e.Time
	return e, nil
}

func (r *Reader) end(at int64) error {
	n, err := r.uvarint(at, "end count")
	if err != nil {
		return err
	}
	if n != r.sum.Events {
		return r.fail(at, "end record counts %d events, read %d", n, r.sum.Events)
	}
	if _, err := r.r.ReadByte(); err == nil {
		return r.fail(r.off, "data after the end record")
	} else if !errors.Is(err, io.EOF) {
		return r.fail(r.off, "reading: %v", err)
	}
	r.done = true
	return io.EOF
}

func (r *Reader) fields(at int64, e *Event) error {
	var err error
	read := func(what string) uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = r.uvarint(at, what)
		return v
	}
	switch {
	case e.Op == OpRSS:
		e.Size = read("rss bytes")
		if err == nil {
			r.sum.PeakRSS = max(r.sum.PeakRSS, e.Size)
			r.sum.LastRSS = e.Size
		}
		return err
	case e.Op == OpFree || e.Op == OpMunmap:
		id := read("id")
		if err != nil {
			return err
		}
		return r.release(at, id, &e.ID)
	case e.Op == OpRealloc:
		old := read("old id")
		if err != nil {
			return err
		}
		if err := r.release(at, old, &e.OldID); err != nil {
			return err
		}
	}
	id, size := read("id"), read("size")
	if err != nil {
		return err
	}
	if size > MaxSize {
		return r.fail(at, "size %d above %d", size, uint64(MaxSize))
	}
	if e.Op.aligned() {
		b, berr := r.r.ReadByte()
		if berr != nil {
			return r.fail(at, "truncated in alignment")
		}
		r.off++
		if b > 40 {
			return r.fail(at, "alignment 2^%d above 2^40", b)
		}
		e.Align = 1 << b
	}
	e.Size = size
	return r.allocate(at, id, &e.ID, size)
}

func (r *Reader) release(at int64, id uint64, out *uint32) error {
	if id >= uint64(len(r.live)) || r.live[id] == 0 {
		return r.fail(at, "frees object %d, which is not live", id)
	}
	r.sum.Live -= r.live[id] - 1
	r.sum.LiveObjects--
	r.live[id] = 0
	*out = uint32(id)
	return nil
}

func (r *Reader) allocate(at int64, id uint64, out *uint32, size uint64) error {
	switch {
	case id == uint64(len(r.live)):
		if id >= 1<<32-1 {
			return r.fail(at, "object id %d out of range", id)
		}
		r.live = append(r.live, 0)
		r.sum.MaxObjects = uint32(len(r.live))
	case id > uint64(len(r.live)):
		return r.fail(at, "object id %d skips ids (next new id is %d)", id, len(r.live))
	case r.live[id] != 0:
		return r.fail(at, "allocates object %d, which is live", id)
	}
	r.live[id] = size + 1
	r.sum.Live += size
	r.sum.LiveObjects++
	r.sum.Allocs++
	r.sum.PeakLive = max(r.sum.PeakLive, r.sum.Live)
	r.sum.PeakObjects = max(r.sum.PeakObjects, r.sum.LiveObjects)
	*out = uint32(id)
	return nil
}
