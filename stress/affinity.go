package stress

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/procfs"
)

// pinTasks sets the CPU affinity of every thread of process pid to cpus
// (none: left alone). Threads the process creates later inherit it.
func pinTasks(fs procfs.FS, pid int, cpus []int) error {
	if len(cpus) == 0 {
		return nil
	}
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	dir := fs.Proc(pid).Path("task")
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("listing the threads of worker %d: %w", pid, err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pinning thread %d of worker %d to CPUs %v: %w", tid, pid, cpus, err)
		}
	}
	return nil
}
