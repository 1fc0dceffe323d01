package stress

import (
	"fmt"
	"os"
	"path/filepath"
)

// openMemStat opens the run's cgroup's memory.stat for the sampling
// thread, which reads its page cache and shmem (v1 total_cache and
// total_shmem, v2 file and shmem: sample.Source.MemStat). Without a cgroup
// there is none.
func openMemStat(cg memoryGroup) (f *os.File, v1 bool, err error) {
	if cg == nil {
		return nil, false, nil
	}
	p := filepath.Join(cg.Path(), "memory.stat")
	if f, err = os.Open(p); err != nil {
		return nil, false, fmt.Errorf("opening %s: %w", p, err)
	}
	return f, cg.Version() == 1, nil
}
