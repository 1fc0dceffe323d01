package wire

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/memstorm/memstorm/rundir"
)

// The worker and the supervisor talk over two pipes. The worker writes one
// JSON Message per line on the event pipe; the supervisor answers on the
// control pipe with single bytes: CtlGo releases the worker after it was
// placed in its cgroup, CtlAck acknowledges a phase end once the supervisor
// has sampled it, so the figures recorded "at the end of a phase" are those
// of that instant and not of the next phase's first milliseconds.
const (
	CtlGo  byte = 'g'
	CtlAck byte = 'a'
)

// File descriptors the worker inherits (os/exec ExtraFiles start at 3).
const (
	FDStatus  = 3 // status page memfd
	FDEvents  = 4 // worker -> supervisor messages
	FDControl = 5 // supervisor -> worker bytes
	FDUsage   = 6 // cgroup usage file, when the run has a cgroup
)

// Message kinds sent by the worker.
const (
	MsgHello      = "hello"       // allocator detected; worker ready
	MsgPhaseStart = "phase-start" // step begins
	MsgPhaseEnd   = "phase-end"   // step ended; waits for CtlAck
	MsgENOMEM     = "enomem"      // an allocation failed
	MsgLimit      = "limit"       // allocation stopped at the cgroup limit share
	MsgTrim       = "trim"        // the allocator's release ran
	MsgReplay     = "replay"      // a replay phase ran its trace; Bytes: its peak live bytes
	MsgDone       = "done"        // every step ran
	MsgError      = "error"       // the worker cannot go on; Detail says why
)

// Message is one line on the event pipe.
type Message struct {
	Kind   string `json:"kind"`
	Proc   int    `json:"proc"` // the sending worker process's index
	Step   int    `json:"step"`
	Name   string `json:"name,omitempty"`
	Detail string `json:"detail,omitempty"`

	// Figures at the moment of the Message (phase-end, enomem, limit, done).
	Live         int64 `json:"live,omitempty"`
	HeapInuse    int64 `json:"heap_inuse,omitempty"`
	HeapHeld     int64 `json:"heap_held,omitempty"`
	HeapRetained int64 `json:"heap_retained,omitempty"`
	Bookkeeping  int64 `json:"bookkeeping,omitempty"`
	// HarnessCalls (done) counts the malloc-family calls made during the
	// phases that were not the engine's own allocations and frees: nil
	// when the worker could not count them (no counting interposer, or a
	// backend whose calls per object vary).
	HarnessCalls *int64 `json:"harness_calls,omitempty"`
	Bytes        int64  `json:"bytes,omitempty"` // size that failed, freed or trimmed
	// Replay holds a replay message's figures.
	Replay *rundir.ReplayFigures `json:"replay,omitempty"`

	// hello
	AllocName    string `json:"alloc_name,omitempty"`
	AllocVersion string `json:"alloc_version,omitempty"`
	AllocPath    string `json:"alloc_path,omitempty"`
}

// MessageWriter sends one worker's messages. Every worker process of a run
// writes to the same pipe: a message is one write of at most PIPE_BUF
// bytes, which the kernel never interleaves with another. Send keeps that
// promise by shortening a long Detail (a worker's error text) to fit.
type MessageWriter struct {
	w    io.Writer
	proc int
}

// PipeBuf is PIPE_BUF on Linux: the largest write to a pipe that the kernel
// keeps whole.
const PipeBuf = 4096

// NewMessageWriter sends the messages of worker process proc to w.
func NewMessageWriter(w io.Writer, proc int) MessageWriter { return MessageWriter{w: w, proc: proc} }

// Send writes one message as one line of at most PipeBuf bytes.
func (m MessageWriter) Send(msg Message) error {
	msg.Proc = m.proc
	b, err := encodeMessage(msg)
	if err != nil {
		return err
	}
	if _, err := m.w.Write(b); err != nil {
		return fmt.Errorf("sending %s message to the supervisor: %w", msg.Kind, err)
	}
	return nil
}

// truncated marks a Detail shortened to fit a message into PipeBuf.
const truncated = " [truncated]"

// encodeMessage encodes msg as one line, shortening Detail (and then
// Name) until the line fits in PipeBuf.
func encodeMessage(msg Message) ([]byte, error) {
	for {
		b, err := json.Marshal(msg)
		if err != nil {
			return nil, fmt.Errorf("encoding %s message: %w", msg.Kind, err)
		}
		if len(b)+1 <= PipeBuf {
			return append(b, '\n'), nil
		}
		over := len(b) + 1 - PipeBuf + len(truncated)
		switch {
		case len(msg.Detail) > over:
			msg.Detail = strings.ToValidUTF8(msg.Detail[:len(msg.Detail)-over], "") + truncated
		case msg.Detail != "":
			msg.Detail = truncated
		case len(msg.Name) > over:
			msg.Name = strings.ToValidUTF8(msg.Name[:len(msg.Name)-over], "") + truncated
		default:
			return nil, fmt.Errorf("encoding %s message: %d bytes, more than PIPE_BUF", msg.Kind, len(b)+1)
		}
	}
}
