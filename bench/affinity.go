package bench

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// measuredCPU is the CPU both sides of a side-by-side comparison run on:
// the last one the bench may use, so that the harness (this process, the
// supervisor, the sampling thread) can run beside it on the others. -1 on
// a single CPU, where there is nothing to choose.
func measuredCPU() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil || set.Count() < 2 {
		return -1
	}
	last := -1
	for c := 0; c < 1024; c++ {
		if set.IsSet(c) {
			last = c
		}
	}
	return last
}

// onCPU runs f on a locked OS thread pinned to cpu (-1: unpinned), and
// restores the thread's affinity afterwards.
func onCPU(cpu int, f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if cpu < 0 {
		return f()
	}
	var old, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return fmt.Errorf("reading this thread's CPU affinity: %w", err)
	}
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		return fmt.Errorf("pinning this thread to CPU %d: %w", cpu, err)
	}
	defer unix.SchedSetaffinity(0, &old)
	return f()
}

// crefEnv is the environment that makes the C reference pin itself to cpu
// before it does anything else (-1: none).
func crefEnv(cpu int) []string {
	if cpu < 0 {
		return nil
	}
	return []string{fmt.Sprintf("CREF_CPU=%d", cpu)}
}
