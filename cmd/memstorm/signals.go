package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

// Termination is handled from main's first statement: SIGINT or SIGTERM
// before a run has started ends memstorm with 128 + the signal's number
// (130, 143) and one line saying so, as a shell or docker stop expects,
// and while runs go it interrupts them (signalContext). Left to the Go
// runtime, a SIGTERM to memstorm as PID 1 in a container (where the
// kernel drops signals that have no handler) made the runtime exit with
// status 2, memstorm's bad-usage code, and no output.

// terminationSignals are the signals that end memstorm.
var terminationSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// termination receives the termination signals for the whole process.
type termination struct {
	mu      sync.Mutex
	handler func(syscall.Signal) // set while runs go; nil before and after
	started bool                 // a run has started
	stderr  io.Writer
	exit    func(code int)
}

// term is main's termination; nil when run is called in-process (tests),
// where signalContext notifies itself.
var term *termination

// startTermination asks for the termination signals and handles them
// from now on.
func startTermination(stderr io.Writer, exit func(int)) *termination {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, terminationSignals...)
	t := &termination{stderr: stderr, exit: exit}
	go func() {
		for s := range ch {
			t.receive(s.(syscall.Signal))
		}
	}()
	return t
}

// receive hands a signal to the runs going, or ends memstorm.
func (t *termination) receive(s syscall.Signal) {
	t.mu.Lock()
	h, started := t.handler, t.started
	t.mu.Unlock()
	if h != nil {
		h(s)
		return
	}
	when := "(no run was going)"
	if started {
		when = "after the runs ended"
	}
	fmt.Fprintf(t.stderr, "memstorm: terminated by %s %s\n", signalName(s), when)
	t.exit(128 + int(s))
}

// setHandler hands the signals to h (nil: end memstorm on the next one).
func (t *termination) setHandler(h func(syscall.Signal)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.handler = h
	t.started = t.started || h != nil
}

// signalName is SIGTERM for syscall.SIGTERM.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// signalContext is cancelled by the first SIGINT or SIGTERM, with the
// signal's name as the cause (the run's interrupted reason); sig tells
// which came. Later ones are ignored until stop: the runs are ending.
func signalContext() (ctx context.Context, sig func() syscall.Signal, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	var got atomic.Int32
	handle := func(s syscall.Signal) {
		if got.CompareAndSwap(0, int32(s)) {
			cancel(fmt.Errorf("received %v", s))
		}
	}
	sig = func() syscall.Signal { return syscall.Signal(got.Load()) }
	if term != nil {
		term.setHandler(handle)
		return ctx, sig, func() {
			term.setHandler(nil)
			cancel(nil)
		}
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, terminationSignals...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				handle(s.(syscall.Signal))
			case <-done:
				return
			}
		}
	}()
	return ctx, sig, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}
