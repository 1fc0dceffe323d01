package trace

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// Writer encodes events. It checks what would make the trace unreadable
// (time going backwards, a thread id skipped, a bad alignment); the object
// ids are the caller's (see IDs).
type Writer struct {
	w        *bufio.Writer
	last     int64
	thread   uint32
	threads  uint32
	count    uint64
	buf      [4 * binary.MaxVarintLen64]byte
	finished bool
}

// NewWriter writes the magic to w and returns a Writer. Close writes the end
// record; a trace without it reads as truncated.
func NewWriter(w io.Writer) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(Magic); err != nil {
		return nil, err
	}
	return &Writer{w: bw, thread: ^uint32(0)}, nil
}

// Write appends one event.
func (w *Writer) Write(e Event) error {
	if w.finished {
		return fmt.Errorf("trace: write after Close")
	}
	if e.Op < 1 || e.Op > opMax || e.Op == opEnd {
		return fmt.Errorf("trace: event %d: unknown op %v", w.count, e.Op)
	}
	if e.Time < w.last {
		return fmt.Errorf("trace: event %d: time %d ns before the previous event's %d", w.count, e.Time, w.last)
	}
	if e.Size > MaxSize {
		return fmt.Errorf("trace: event %d: size %d above %d", w.count, e.Size, uint64(MaxSize))
	}
	b := w.buf[:0]
	tag := byte(e.Op)
	if e.Op == OpRSS || e.Thread == w.thread {
		tag |= sameThread
		b = append(b, tag)
	} else {
		if e.Thread > w.threads || e.Thread >= MaxThreads {
			return fmt.Errorf("trace: event %d: thread %d skips ids (next new thread is %d)", w.count, e.Thread, w.threads)
		}
		if e.Thread == w.threads {
			w.threads++
		}
		w.thread = e.Thread
		b = append(b, tag)
		b = binary.AppendUvarint(b, uint64(e.Thread))
	}
	b = binary.AppendUvarint(b, uint64(e.Time-w.last))
	w.last = e.Time
	switch {
	case e.Op == OpRealloc:
		b = binary.AppendUvarint(b, uint64(e.OldID))
		b = binary.AppendUvarint(b, uint64(e.ID))
		b = binary.AppendUvarint(b, e.Size)
	case e.Op == OpFree || e.Op == OpMunmap:
		b = binary.AppendUvarint(b, uint64(e.ID))
	case e.Op == OpRSS:
		b = binary.AppendUvarint(b, e.Size)
	default:
		b = binary.AppendUvarint(b, uint64(e.ID))
		b = binary.AppendUvarint(b, e.Size)
		if e.Op.aligned() {
			if e.Align == 0 || e.Align&(e.Align-1) != 0 {
				return fmt.Errorf("trace: event %d: alignment %d is not a power of two", w.count, e.Align)
			}
			b = append(b, byte(bits.TrailingZeros64(e.Align)))
		}
	}
	w.count++
	_, err := w.w.Write(b)
	return err
}

// Count is the number of events written.
func (w *Writer) Count() uint64 { return w.count }

// Close writes the end record and flushes; it does not close the underlying
// writer.
func (w *Writer) Close() error {
	if w.finished {
		return nil
	}
	w.finished = true
	b := append(w.buf[:0], byte(opEnd)|sameThread, 0)
	b = binary.AppendUvarint(b, w.count)
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	return w.w.Flush()
}
