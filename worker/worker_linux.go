package worker

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/scenarios"
)

// setRlimits applies the scenario's resource limits to the worker itself,
// after it is in its cgroup and before it allocates. Each limit is granted
// on top of what the worker has mapped already (VmSize for the address
// space, VmData for the data segment): the Go runtime of the worker maps a
// few hundred MiB of address space before the scenario starts, and a
// scenario that says "512MiB of address space" means 512 MiB to allocate,
// not a limit the worker exceeds before its first malloc.
func setRlimits(r *scenarios.Rlimits) error {
	if r == nil {
		return nil
	}
	st, err := procfs.DefaultFS.Self().Status()
	if err != nil {
		return fmt.Errorf("reading the worker's own mappings before setting rlimits: %w", err)
	}
	set := func(res int, name string, v scenarios.Size) error {
		if v <= 0 {
			return nil
		}
		base := st.VmSize
		if res == unix.RLIMIT_DATA {
			base = st.VmData
		}
		lim := &unix.Rlimit{Cur: uint64(base + int64(v)), Max: uint64(base + int64(v))}
		if err := unix.Setrlimit(res, lim); err != nil {
			return fmt.Errorf("setting %s to %d bytes: %w", name, int64(v), err)
		}
		return nil
	}
	if err := set(unix.RLIMIT_AS, "RLIMIT_AS (rlimits.address_space)", r.AddressSpace); err != nil {
		return err
	}
	return set(unix.RLIMIT_DATA, "RLIMIT_DATA (rlimits.data)", r.Data)
}

// readUsage reads a cgroup usage file (one decimal number) with pread into
// buf, so polling it between allocation batches costs one syscall.
func readUsage(f *os.File, buf []byte) (int64, error) {
	n, err := unix.Pread(int(f.Fd()), buf, 0)
	if err != nil {
		return 0, fmt.Errorf("reading cgroup usage %s: %w", f.Name(), err)
	}
	b := buf[:n]
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading cgroup usage %s: %q is not a number", f.Name(), b)
	}
	return v, nil
}
