package worker

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTaskState reads the state after the last ')': a command name may
// hold spaces and parentheses.
func TestTaskState(t *testing.T) {
	dir := t.TempDir()
	for text, want := range map[string]byte{
		"4242 (memstorm-worker) S 1 4242 4242 0 -1 4194560 120 0 0 0\n": 'S',
		"4243 (a) b) R 1 4242 4242 0 -1 4194560 120 0 0 0\n":            'R',
	} {
		p := filepath.Join(dir, "stat")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := taskState(p, make([]byte, 512)); err != nil || got != want {
			t.Errorf("%q: state %q, %v; want %q", text, got, err, want)
		}
	}
	p := filepath.Join(dir, "cut")
	if err := os.WriteFile(p, []byte("4242 (memstorm"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := taskState(p, make([]byte, 512)); err == nil {
		t.Error("a stat cut inside the command name: no error")
	}
}

// TestOtherRunnableSeesABusyThread: a thread that spins is runnable
// (running or waiting for a CPU, R either way) and otherRunnable says so;
// once it has parked, the process settles (Go's own threads are runnable
// only for moments, so that is polled for, not asserted at once).
func TestOtherRunnableSeesABusyThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self := strconv.Itoa(unix.Gettid())
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for !stop.Load() {
		}
		close(done)
	}()
	buf := make([]byte, 512)
	var busy bool
	for i := 0; i < 100 && !busy; i++ {
		var err error
		if busy, err = otherRunnable(self, buf); err != nil {
			t.Fatal(err)
		}
	}
	if !busy {
		t.Error("a spinning thread was never seen runnable")
	}
	stop.Store(true)
	<-done
	deadline := time.Now().Add(5 * time.Second)
	for {
		busy, err := otherRunnable(self, buf)
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("some thread stayed runnable for 5 s after the spinner stopped")
		}
		time.Sleep(time.Millisecond)
	}
}
