package stress

import (
	"fmt"
	"os"
	"sync/atomic"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// memoryGroup is what a run needs of its memory cgroup.
type memoryGroup interface {
	Path() string
	Version() int
	Mode() string // "child" or "current"
	FD() int      // v2 directory fd for clone into the cgroup; -1 on v1
	AddProc(pid int) error
	UsageFile() *os.File
	Stats() (cgroup.Stats, error)
	Delete() error
}

// Cgroup modes a run may ask for.
const (
	CgroupAuto    = "auto"
	CgroupChild   = "child"
	CgroupCurrent = "current"
	CgroupNone    = "none"
)

// settingsFor turns a run's limits into the cgroup's settings.
func settingsFor(l Limits) cgroup.Settings {
	s := cgroup.Settings{Max: l.Max, High: l.High, Swap: l.Swap, OOMGroup: l.OOMGroup}
	if l.Max.Bounded() && !l.Swap.IsSet() {
		s.Swap = units.BytesLimit(0) // a limit with swap left open would let a run swap past it
	}
	return s
}

// groupSeq numbers the child cgroups of this process.
var groupSeq atomic.Int64

// openGroup gives the run its memory cgroup as mode asks. In "auto" mode a
// host where no child can be created (not root, a container without cgroup
// delegation) falls back to memstorm's own cgroup; a host without a memory
// controller runs without one. The reason for a fallback is returned as a
// note for the rundir.
func openGroup(mode string, l Limits, roots cgroup.Roots) (g memoryGroup, note string, err error) {
	if mode == "" {
		mode = CgroupAuto
	}
	if mode == CgroupNone {
		return nil, "run without a memory cgroup (--cgroup none)", nil
	}
	host, err := cgroup.Detect(roots)
	if err != nil {
		if mode == CgroupAuto && !l.Max.Bounded() {
			return nil, fmt.Sprintf("no memory cgroup: %v", err), nil
		}
		return nil, "", fmt.Errorf("finding the memory cgroup controller: %w", err)
	}
	if mode == CgroupAuto || mode == CgroupChild {
		_, _ = host.CleanupStale()
		name := cgroup.ChildName(os.Getpid(), int(groupSeq.Add(1)))
		child, cerr := host.NewChild(name, settingsFor(l))
		if cerr == nil {
			return child, "", nil
		}
		if mode == CgroupChild {
			return nil, "", fmt.Errorf("creating child memory cgroup %s: %w", name, cerr)
		}
		note = fmt.Sprintf("could not create a child cgroup (%v); using memstorm's own cgroup, and relying on the worker's oom_score_adj of 1000 so that an OOM kill hits the worker", cerr)
	}
	cur, err := host.Current()
	if err != nil {
		return nil, "", fmt.Errorf("opening memstorm's own memory cgroup: %w", err)
	}
	if note == "" {
		note = "in-container mode (--cgroup current): the worker shares memstorm's own cgroup and its limit; the worker's oom_score_adj of 1000 makes it the OOM killer's choice"
	}
	return cur, note, nil
}

// cgroupSummary describes the run's cgroup as it is before the worker runs.
func cgroupSummary(g memoryGroup, st cgroup.Stats) *rundir.CgroupSummary {
	if g == nil {
		return nil
	}
	return &rundir.CgroupSummary{
		Version: g.Version(), Path: g.Path(), Mode: g.Mode(),
		Limit: st.Limit, High: st.High, Swap: st.Swap,
		PeakUsageBytes: 0, PeakSource: cgroup.PeakSampled,
	}
}
