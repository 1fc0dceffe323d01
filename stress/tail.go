package stress

import (
	"os"
	"sync"
)

// tailBuffer keeps the worker's standard error: all of it in worker.log,
// the last max bytes in memory for the failure reason.
type tailBuffer struct {
	mu   sync.Mutex
	path string
	f    *os.File
	buf  []byte
	max  int
}

func newTailBuffer(path string, max int) *tailBuffer {
	return &tailBuffer{path: path, max: max}
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		f, err := os.Create(t.path)
		if err == nil {
			t.f = f
		}
	}
	if t.f != nil {
		_, _ = t.f.Write(p)
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

func (t *tailBuffer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return nil
	}
	return t.f.Close()
}
