package stress

import (
	"encoding/json"
	"fmt"
	"io"
)

// The worker and the supervisor talk over two pipes. The worker writes one
// JSON message per line on the event pipe; the supervisor answers on the
// control pipe with single bytes: ctlGo releases the worker after it was
// placed in its cgroup, ctlAck acknowledges a phase end once the supervisor
// has sampled it, so the figures recorded "at the end of a phase" are those
// of that instant and not of the next phase's first milliseconds.
const (
	ctlGo  byte = 'g'
	ctlAck byte = 'a'
)

// File descriptors the worker inherits (os/exec ExtraFiles start at 3).
const (
	fdStatus  = 3 // status page memfd
	fdEvents  = 4 // worker -> supervisor messages
	fdControl = 5 // supervisor -> worker bytes
	fdUsage   = 6 // cgroup usage file, when the run has a cgroup
)

// Message kinds sent by the worker.
const (
	msgHello      = "hello"       // allocator detected; worker ready
	msgPhaseStart = "phase-start" // step begins
	msgPhaseEnd   = "phase-end"   // step ended; waits for ctlAck
	msgENOMEM     = "enomem"      // an allocation failed
	msgLimit      = "limit"       // allocation stopped at the cgroup limit share
	msgTrim       = "trim"        // the allocator's release ran
	msgDone       = "done"        // every step ran
	msgError      = "error"       // the worker cannot go on; Detail says why
)

// message is one line on the event pipe.
type message struct {
	Kind   string `json:"kind"`
	Proc   int    `json:"proc"` // the sending worker process's index
	Step   int    `json:"step"`
	Name   string `json:"name,omitempty"`
	Detail string `json:"detail,omitempty"`

	// Figures at the moment of the message (phase-end, enomem, limit, done).
	Live         int64 `json:"live,omitempty"`
	HeapInuse    int64 `json:"heap_inuse,omitempty"`
	HeapHeld     int64 `json:"heap_held,omitempty"`
	HeapRetained int64 `json:"heap_retained,omitempty"`
	Bookkeeping  int64 `json:"bookkeeping,omitempty"`
	Bytes        int64 `json:"bytes,omitempty"` // size that failed, freed or trimmed

	// hello
	AllocName    string `json:"alloc_name,omitempty"`
	AllocVersion string `json:"alloc_version,omitempty"`
	AllocPath    string `json:"alloc_path,omitempty"`
}

// messageWriter sends one worker's messages. Every worker process of a run
// writes to the same pipe: a message is one write of less than PIPE_BUF
// bytes, which the kernel never interleaves with another.
type messageWriter struct {
	w    io.Writer
	proc int
}

func (m messageWriter) send(msg message) error {
	msg.Proc = m.proc
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encoding %s message: %w", msg.Kind, err)
	}
	b = append(b, '\n')
	if _, err := m.w.Write(b); err != nil {
		return fmt.Errorf("sending %s message to the supervisor: %w", msg.Kind, err)
	}
	return nil
}
