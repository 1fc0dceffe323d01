package stress

import (
	"os"
	"path/filepath"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/machine"
	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
)

// describeMachine describes this host for the summary. A part that cannot be
// read stays empty: the run is worth more than a complete description.
func describeMachine(roots cgroup.Roots) rundir.Machine {
	m, _ := machine.Describe(roots)
	return m
}

// psiReader returns a function reading memory pressure "some avg10": from
// the run's cgroup on v2, else the whole host's /proc/pressure/memory. nil
// when the kernel gives neither.
func (s *supervisor) psiReader() func() (float64, bool) {
	path, source := s.plan.Roots.ProcFS().Path("pressure", "memory"), "host"
	if s.cg != nil && s.cg.Version() == 2 {
		path, source = filepath.Join(s.cg.Path(), "memory.pressure"), "cgroup"
	}
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	s.sum.PSISource = source
	return func() (float64, bool) {
		p, err := procfs.ReadPressureFile(path)
		if err != nil {
			return 0, false
		}
		return p.Some.Avg10, true
	}
}
