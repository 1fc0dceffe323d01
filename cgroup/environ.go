package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/memstorm/memstorm/procfs"
)

// WorkerMark is the environment entry every memstorm worker starts with
// (wire.WorkerEnv set to 1; a test of this package holds the two together).
// Cleanup kills a process in a stale cgroup only when its environment
// holds it.
const WorkerMark = "MEMSTORM_WORKER=1"

// maxEnviron bounds the read of /proc/<pid>/environ (the kernel caps the
// initial environment and arguments together at a quarter of the stack
// limit; 4 MiB covers the usual 8 MiB stack).
const maxEnviron = 4 << 20

// isWorker reports whether process pid is a memstorm worker: its
// /proc/<pid>/environ holds WorkerMark. A process whose environment cannot
// be read is not shown to be one; err says why (fs.ErrNotExist for a
// process that is gone).
func isWorker(proc procfs.FS, pid int) (bool, error) {
	path := proc.Proc(pid).Path("environ")
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	ok, err := hasEnv(io.LimitReader(f, maxEnviron), WorkerMark)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	return ok, nil
}

// hasEnv reports whether the NUL-separated environment in r holds the
// entry kv exactly.
func hasEnv(r io.Reader, kv string) (bool, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxEnviron)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, 0); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	for sc.Scan() {
		if string(sc.Bytes()) == kv {
			return true, nil
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return false, err
	}
	return false, nil
}
