package stress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/memstorm/memstorm/wire"
)

// eventPipe is the supervisor's end of the worker's wire.Message pipe, read by
// the supervisor's own loop with a deadline at the next sample: the loop
// parks in the runtime's poller until a wire.Message comes or a sample is due.
// One goroutine, no ticker, no reader goroutine to hand messages over, and
// no thread blocked in a raw syscall for the runtime to take its P back
// from: sampling at 100 Hz costs a third less CPU than a ticker and a reader.
type eventPipe struct {
	f     *os.File
	buf   []byte
	chunk []byte
	eof   bool
}

// newEventPipe returns the read end and the write end to give the worker.
func newEventPipe() (*eventPipe, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("creating the event pipe: %w", err)
	}
	return &eventPipe{f: r, buf: make([]byte, 0, 4096), chunk: make([]byte, 4096)}, w, nil
}

// read waits until the deadline for messages and hands each complete line
// to handle; at the end of the pipe (the worker exited) it sets eof.
func (e *eventPipe) read(deadline time.Time, handle func(wire.Message)) error {
	if err := e.f.SetReadDeadline(deadline); err != nil {
		return fmt.Errorf("reading the event pipe: %w", err)
	}
	for {
		n, err := e.f.Read(e.chunk)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil
		case errors.Is(err, io.EOF):
			e.eof = true
			if len(e.buf) > 0 { // a last line without its newline
				e.deliver(e.buf, handle)
				e.buf = e.buf[:0]
			}
			return nil
		case err != nil:
			return fmt.Errorf("reading the event pipe: %w", err)
		}
		e.buf = append(e.buf, e.chunk[:n]...)
		for {
			i := bytes.IndexByte(e.buf, '\n')
			if i < 0 {
				break
			}
			e.deliver(e.buf[:i], handle)
			e.buf = e.buf[:copy(e.buf, e.buf[i+1:])]
		}
	}
}

func (e *eventPipe) deliver(line []byte, handle func(wire.Message)) {
	var m wire.Message
	if err := json.Unmarshal(line, &m); err != nil {
		m = wire.Message{Kind: wire.MsgError, Detail: fmt.Sprintf("unreadable worker wire.Message %q: %v", line, err)}
	}
	handle(m)
}

// wake makes a read under way return now; safe from any goroutine.
func (e *eventPipe) wake() { _ = e.f.SetReadDeadline(time.Now()) }

func (e *eventPipe) close() error { return e.f.Close() }
