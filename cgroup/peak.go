package cgroup

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// RunPeak is a cgroup's high-water mark of usage restarted at a run's
// start, where the kernel lets it be: a cgroup reused by successive runs
// (memstorm's own, a container's) otherwise holds the peak of its whole
// lifetime.
//
//   - v2, Linux 6.12 and later: a write to memory.peak resets the peak seen
//     through that open file descriptor only (other readers keep theirs), so
//     the descriptor is kept open and read at the end.
//   - v1: a write of 0 to memory.max_usage_in_bytes resets the cgroup's
//     peak to its usage now, for every reader; permitted to root where the
//     file is writable (not in a container with a read-only cgroup mount).
type RunPeak struct {
	f    *os.File // v2: the memory.peak descriptor the reset applies to
	path string   // v1: memory.max_usage_in_bytes
}

// ResetPeak restarts the high-water mark of the cgroup in dir. An error
// says why it could not (a kernel before 6.12 refuses the write to
// memory.peak with EINVAL, or the file has no write permission): the
// kernel's peak is then the cgroup's lifetime peak.
func ResetPeak(version int, dir string) (*RunPeak, error) {
	switch version {
	case 1:
		path := filepath.Join(dir, "memory.max_usage_in_bytes")
		if err := os.WriteFile(path, []byte("0"), 0); err != nil {
			return nil, fmt.Errorf("resetting %s: %w", path, err)
		}
		return &RunPeak{path: path}, nil
	case 2:
		path := filepath.Join(dir, "memory.peak")
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("resetting %s: %w", path, err)
		}
		if _, err := f.Write([]byte("reset\n")); err != nil {
			f.Close()
			return nil, fmt.Errorf("resetting %s: %w", path, err)
		}
		return &RunPeak{f: f}, nil
	}
	return nil, fmt.Errorf("cgroup version %d: %w", version, ErrUnsupported)
}

// Read returns the peak usage in bytes since the reset.
func (p *RunPeak) Read() (int64, error) {
	if p.f == nil {
		return parseFile(p.path, parseCounter)
	}
	buf := make([]byte, 32)
	n, err := unix.Pread(int(p.f.Fd()), buf, 0)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", p.f.Name(), err)
	}
	v, err := parseCounter(bytes.NewReader(buf[:n]))
	if err != nil {
		return 0, fmt.Errorf("parsing %s: %w", p.f.Name(), err)
	}
	return v, nil
}

// Close releases the v2 descriptor.
func (p *RunPeak) Close() error {
	if p == nil || p.f == nil {
		return nil
	}
	err := p.f.Close()
	p.f = nil
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
