package stress

import (
	"fmt"
	"os"
	"sync"
)

// tailBuffer keeps the worker's standard error: all of it in worker.log,
// the last max bytes in memory for the failure reason.
type tailBuffer struct {
	mu  sync.Mutex
	f   *os.File
	buf []byte
	max int
	err error // the first failed write to f
}

func newTailBuffer(f *os.File, max int) *tailBuffer {
	return &tailBuffer{f: f, max: max}
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := t.f.Write(p); err != nil && t.err == nil {
		t.err = err
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// Tail returns the last bytes written.
func (t *tailBuffer) Tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Close closes the log; it reports the first failed write, if any.
func (t *tailBuffer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.f.Close(); err != nil && t.err == nil {
		t.err = err
	}
	if t.err != nil {
		return fmt.Errorf("writing %s: %w", t.f.Name(), t.err)
	}
	return nil
}
