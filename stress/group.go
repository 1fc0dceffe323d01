package stress

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
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
	s := cgroup.Settings{Max: l.Max, High: l.High, Swap: l.Swap, OOMGroup: l.OOMGroup, HugeTLB: l.HugeTLB}
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
//
// Where an OOM kill at the container's limit would kill memstorm's whole
// cgroup (memory.oom.group=1, the kubelet's setting) the child's hard limit
// is kept below the container's (container.childSettings), and the
// container is returned for the run's Kubernetes view (k8s.go).
func openGroup(mode string, l Limits, roots cgroup.Roots) (g memoryGroup, note string, c *container, err error) {
	if mode == "" {
		mode = CgroupAuto
	}
	if mode == CgroupNone {
		return nil, "run without a memory cgroup (--cgroup none)", nil, nil
	}
	host, err := cgroup.Detect(roots)
	if err != nil {
		if mode == CgroupAuto && !l.Max.Bounded() {
			return nil, fmt.Sprintf("no memory cgroup: %v", err), nil, nil
		}
		return nil, "", nil, fmt.Errorf("finding the memory cgroup controller: %w", err)
	}
	c, kerr := containerOf(host)
	if kerr != nil {
		// Not knowing of a group kill is no reason to refuse the run: say so.
		note = fmt.Sprintf("memory.oom.group not read, so a group kill at the container's limit is not guarded against: %v", kerr)
	}
	if mode == CgroupAuto || mode == CgroupChild {
		_, _ = host.CleanupStale()
		name := cgroup.ChildName(os.Getpid(), int(groupSeq.Add(1)))
		set, knote, cerr := c.childSettings(settingsFor(l))
		var child *cgroup.Group
		if cerr == nil {
			child, cerr = host.NewChild(name, set)
		}
		if cerr == nil {
			return child, joinNotes(note, knote), c, nil
		}
		if mode == CgroupChild {
			return nil, "", nil, fmt.Errorf("creating child memory cgroup %s: %w", name, cerr)
		}
		if c != nil {
			c.margin, c.childMax = 0, units.Limit{} // no child: the container's own limit holds
		}
		note = joinNotes(note, fmt.Sprintf("could not create a child cgroup (%s); using memstorm's own cgroup, and relying on the worker's oom_score_adj of 1000 so that an OOM kill hits the worker", oneLine(cerr)))
	}
	cur, err := host.Current()
	if err != nil {
		return nil, "", nil, fmt.Errorf("opening memstorm's own memory cgroup: %w", err)
	}
	if mode == CgroupCurrent {
		note = joinNotes(note, "in-container mode (--cgroup current): the worker shares memstorm's own cgroup and its limit; the worker's oom_score_adj of 1000 makes it the OOM killer's choice")
	}
	return cur, note, c, nil
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

// checkCgroupMode refuses, before the run directory exists, a --cgroup
// child or current that this host cannot honour. child: a memory
// controller must be found and a child actually made and removed
// (cgroup.Host.CheckChild; on cgroup v2 that includes moving memstorm's
// processes into a leaf when its own cgroup holds them). A captured host
// tree (Roots other than the live system's) is only read, never written.
// current: memstorm's own cgroup must have memory counters (the v2 root
// has none) and a limit that fits the run (ownCgroupRefusal).
func (p *Plan) checkCgroupMode() error {
	if p.Cgroup != CgroupChild && p.Cgroup != CgroupCurrent {
		return nil
	}
	host, err := cgroup.Detect(p.Roots)
	if err != nil {
		return usageErr("--cgroup %s: %v", p.Cgroup, err)
	}
	if p.Cgroup == CgroupChild {
		if p.Roots != cgroup.DefaultRoots() {
			return nil
		}
		if err := host.CheckChild(); err != nil {
			advice := ""
			if !strings.Contains(err.Error(), "--cgroup current") {
				advice = "; run as root, or in a cgroup delegated to this user, or use --cgroup current in a container with a limit"
			}
			return usageErr("--cgroup child: %v%s", err, advice)
		}
		return nil
	}
	cur, err := host.Current()
	if err != nil {
		return usageErr("--cgroup current: %v", err)
	}
	defer cur.Close()
	st, err := cur.Stats()
	if err != nil {
		return fmt.Errorf("reading memstorm's own memory cgroup %s: %w", cur.Path(), err)
	}
	return ownCgroupRefusal(p.Scenario, p.Limits, st.Limit, cur.Path(), "--cgroup current")
}

// ownCgroupRefusal refuses a run in memstorm's own cgroup (path, with
// limit have) whose limits it does not enforce: a requested limit the
// cgroup lacks or exceeds, or a scenario that allocates until a kill or a
// limit share where the cgroup has no limit. why says how the run came to
// use that cgroup.
func ownCgroupRefusal(sc *scenarios.Scenario, l Limits, have units.Limit, path, why string) error {
	switch {
	case l.Max.Bounded() && have.Bounded() && l.ScenarioMax && sc.NeedsLimit():
		// A scenario that allocates until the limit, with its own default
		// size and no --limit: the container's limit is the one to meet
		// (docker run --memory 512m IMAGE memstorm run oom-at-limit).
		return nil
	case l.Max.Bounded() && (!have.Bounded() || limitOver(have, maxBytes(l.Max))):
		desc := "no limit"
		if have.Bounded() {
			desc = "a limit of " + have.String()
		}
		return usageErr("the run asks for a %v limit, but it runs in memstorm's own cgroup %s, which has %s (%s): run as root where child cgroups can be made, or in a container with that limit", l.Max, path, desc, why)
	case !have.Bounded() && sc.NeedsLimit():
		return usageErr("scenario %s allocates until a kill or a limit share, and memstorm's own cgroup %s has no limit (%s)", sc.Name, path, why)
	}
	return nil
}

// maxBytes is a limit in bytes, 0 when it has none.
func maxBytes(l units.Limit) int64 {
	b, _ := l.Bytes()
	return b
}

// joinNotes joins two notes for the rundir, either of which may be empty.
func joinNotes(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// openCgroup gives the run its memory cgroup and starts the summary. In
// memstorm's own cgroup (in-container mode, or the fallback when no child
// can be made) the run's limit is that cgroup's: a run that asked for a
// limit the cgroup does not enforce, or that allocates until a kill with no
// limit at all, is refused, since it could take the host's memory.
func (s *supervisor) openCgroup() error {
	s.sum = rundir.Summary{
		Scenario:     s.sc.Name,
		Invocation:   s.plan.invocation,
		Processes:    max(s.sc.Processes, 1),
		Description:  s.sc.Description,
		Started:      time.Now().UTC().Format(time.RFC3339),
		SampleEveryS: s.sc.SampleEvery.D().Seconds(),
		Passed:       true,
		Allocator:    rundir.AllocatorInfo{Requested: s.plan.Allocator.Label, Env: s.sc.Env, Mallopt: s.sc.Mallopt},
	}
	s.sum.Machine = describeMachine(s.plan.Roots)
	s.sum.THP = thpMode(s.sc.THP, s.sum.Machine.THP)
	cg, note, c, err := openGroup(s.plan.Cgroup, s.limits, s.plan.Roots)
	if err != nil {
		return err
	}
	s.cg, s.container = cg, c
	if c != nil && c.childMax.IsSet() {
		s.limits.Max = c.childMax // below the container's limit: see k8s.go
		if s.plan.warn != nil {
			s.plan.warn(note)
		}
	}
	if s.plan.warn != nil && s.plan.Cgroup == CgroupAuto && (cg == nil || cg.Mode() == CgroupCurrent) {
		s.plan.warn(note)
	}
	if cg == nil {
		if s.limits.OOMGroup {
			return usageErr("--oom-group: the run has no memory cgroup (%s) whose memory.oom.group could be set", note)
		}
		return nil
	}
	st, err := cg.Stats()
	if err != nil {
		return fmt.Errorf("reading memory cgroup %s: %w", cg.Path(), err)
	}
	s.sum.Cgroup = cgroupSummary(cg, st)
	s.startCounters(st)
	s.sum.Cgroup.Note = note
	if cg.Mode() != CgroupCurrent {
		return nil
	}
	if s.limits.OOMGroup && st.OOMGroup != 1 {
		return usageErr("--oom-group: the run would go in memstorm's own cgroup %s (%s), whose memory.oom.group memstorm does not change (a group kill there would take memstorm too): run where a child cgroup can be made", cg.Path(), note)
	}
	if err := ownCgroupRefusal(s.sc, s.limits, st.Limit, cg.Path(), note); err != nil {
		return err
	}
	if st.Limit.Bounded() {
		if s.limits.ScenarioMax && s.limits.Max != st.Limit && s.plan.warn != nil {
			s.plan.warn(fmt.Sprintf("scenario %s: its %v limit gives way to the %v of memstorm's own cgroup %s, where the run goes (--limit SIZE insists on a size)", s.sc.Name, s.limits.Max, st.Limit, cg.Path()))
		}
		s.limits.Max = st.Limit // in-container: the container's limit is the run's
	}
	return nil
}

// limitOver reports whether a bounded limit l is above n bytes.
func limitOver(l units.Limit, n int64) bool {
	b, _ := l.Bytes()
	return b > n
}

// limitBytes is the run's hard limit in bytes; 0 when it has none.
func (s *supervisor) limitBytes() int64 {
	b, _ := s.limits.Max.Bytes()
	return b
}

// oneLine is err's text on one line: a joined error (errors.Join) prints
// one line per error, and a warning is one line.
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}
