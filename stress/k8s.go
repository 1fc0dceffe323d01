package stress

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
)

// The margin a run's child cgroup keeps below the container's limit where
// an OOM kill at that limit would kill the whole container (memory.oom.group,
// the kubelet's setting): what memstorm itself holds beside the child must
// fit in it, or the container's limit is met first and its group kill takes
// memstorm with the worker.
const (
	// growthAllowance is what memstorm's own charge may grow by during a
	// run on top of what the container holds when the child is made: the
	// supervisor's Go heap and stacks (its RSS grows by about 13 MiB from
	// the start of an oom-at-limit run to its report rendered), the sample
	// buffer and the page cache of the run's files that is not yet written
	// back (samples.csv grows by under 200 KiB a second at 1 kHz).
	growthAllowance = 16 << 20
	// chargeBatchBytes is the kernel's per-CPU memcg charge stock
	// (MEMCG_CHARGE_BATCH, 64 pages): the cgroup's usage can run ahead of
	// its processes' pages by this much on every CPU.
	chargeBatchBytes = 64 << 12
	// groupKillDrain is how often the supervisor writes out samples in a
	// run that a group kill would cut off: what is not written at the kill
	// is lost.
	groupKillDrain = 20 * time.Millisecond
)

// groupKillMargin is the margin for a container that holds ownUsage bytes
// (memory.current of memstorm's own cgroup, before the child) on cpus CPUs.
func groupKillMargin(ownUsage int64, cpus int) int64 {
	return ownUsage + growthAllowance + int64(cpus)*chargeBatchBytes
}

// childBelow is the hard limit of a run's child cgroup whose requested
// limit is max, in a container limited to container bytes with margin
// kept free: max when it is below container-margin already, else
// container-margin (capped true). There is no room for a child when that
// is under scenarios.MinLimit.
func childBelow(max units.Limit, container, margin int64) (l units.Limit, capped bool, err error) {
	below := container - margin
	if b, ok := max.Bytes(); ok && b <= below {
		return max, false, nil
	}
	if below < int64(scenarios.MinLimit) {
		return max, false, fmt.Errorf("the container's limit of %s less the %s memstorm keeps for itself leaves less than the %v a run needs", units.FormatBytes(container), units.FormatBytes(margin), scenarios.MinLimit)
	}
	return units.BytesLimit(below), true, nil
}

// container is what a run knows of the Kubernetes container it may run
// in: the group kill at its limit, and the figures of the Kubernetes view.
type container struct {
	host      *cgroup.Host      // memstorm's own cgroup is the container's, as its runtime watches it
	gk        *cgroup.GroupKill // nil when an OOM kill at the limit takes no group
	limit     units.Limit       // the limit memstorm's cgroup inherits
	killsBase int64             // oom_kill of the own cgroup at the run's start
	margin    int64
	childMax  units.Limit // the child's capped hard limit; unset when not capped
}

// containerOf reads what a run needs of its container from host: nil
// when there is neither a group kill nor $KUBERNETES_SERVICE_HOST.
func containerOf(host *cgroup.Host) (*container, error) {
	gk, err := host.GroupKill()
	if err != nil {
		return nil, fmt.Errorf("reading memory.oom.group above %s: %w", host.Dir(), err)
	}
	if gk == nil && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
		return nil, nil
	}
	lim, _, err := host.InheritedLimit()
	if err != nil {
		return nil, err
	}
	c := &container{host: host, gk: gk, limit: lim, killsBase: ownOOMKills(host)}
	return c, nil
}

// ownOOMKills is oom_kill of memstorm's own cgroup (hierarchical on v2,
// as the container runtime reads it); units.Absent when it cannot be read.
func ownOOMKills(host *cgroup.Host) int64 {
	cur, err := host.Current()
	if err != nil {
		return units.Absent
	}
	defer cur.Close()
	st, err := cur.Stats()
	if err != nil {
		return units.Absent
	}
	return st.OOMKills
}

// childSettings caps the settings of the run's child below the container's
// limit when a group kill at that limit would take memstorm too; the note
// says so. Without a group kill the settings stay.
func (c *container) childSettings(s cgroup.Settings) (cgroup.Settings, string, error) {
	if c == nil || c.gk == nil {
		return s, "", nil
	}
	lim, ok := c.limit.Bytes()
	if !ok {
		return s, "", nil
	}
	cur, err := c.host.Current()
	if err != nil {
		return s, "", err
	}
	st, err := cur.Stats()
	cur.Close()
	if err != nil {
		return s, "", fmt.Errorf("reading memstorm's own cgroup %s: %w", cur.Path(), err)
	}
	margin := groupKillMargin(st.Usage, runtime.NumCPU())
	max, capped, err := childBelow(s.Max, lim, margin)
	if err != nil {
		return s, "", fmt.Errorf("memory.oom.group=1 on %s: a child cgroup below its limit would keep the group kill from memstorm, but %w", c.gk.Dir, err)
	}
	if !capped {
		return s, "", nil
	}
	c.margin, c.childMax, s.Max = margin, max, max
	if h, ok := s.High.Bytes(); ok && h > lim-margin {
		s.High = max
	}
	note := fmt.Sprintf("memory.oom.group=1 on %s: the run's child cgroup is limited to %v, %s below the container's %v (memstorm's own %s and %s for its growth and the kernel's per-CPU charge batches), so that the child is OOM-killed before the container's group kill takes memstorm", c.gk.Dir, max, units.FormatBytes(margin), c.limit, units.FormatBytes(st.Usage), units.FormatBytes(margin-st.Usage))
	return s, note, nil
}

// groupKillWarning is the line a run in the container's own cgroup prints
// at its start when an OOM kill at the limit would take memstorm too.
func (c *container) groupKillWarning(dir string) string {
	return fmt.Sprintf("memory.oom.group=1 on %s (the kubelet's setting): an OOM kill at the %v limit kills memstorm with the worker (Kubernetes shows exit 137, OOMKilled) and no summary is written; the run directory %s is complete up to the kill (samples every %v, events as they come), and memstorm report renders it", c.gk.Dir, c.limit, dir, groupKillDrain)
}

// startKubernetes is called once the run's files are open: in the
// container's own cgroup under a group kill it warns, writes the event
// that marks the run as one the kill may cut off, and drains the sampler
// often.
func (s *supervisor) startKubernetes() {
	c := s.container
	if c == nil || c.gk == nil || s.cg == nil || s.cg.Mode() != CgroupCurrent {
		return
	}
	msg := c.groupKillWarning(s.dir)
	if s.plan.warn != nil {
		s.plan.warn(msg)
	}
	e := rundir.Event{Kind: rundir.EventGroupKill, Detail: msg}
	if b, ok := c.limit.Bytes(); ok {
		e.Bytes = rundir.Figure(b)
	}
	s.event(e)
	s.drain = groupKillDrain
}

// finishKubernetes fills the summary's Kubernetes view once the run's
// outcome and expectations are known.
func (s *supervisor) finishKubernetes() {
	c := s.container
	if c == nil {
		return
	}
	k := &rundir.Kubernetes{ContainerLimit: c.limit, MarginBytes: c.margin, ContainerOOMKills: units.Absent}
	if c.gk != nil {
		k.GroupKillCgroup = c.gk.Dir
	}
	if now := ownOOMKills(c.host); now != units.Absent && c.killsBase != units.Absent {
		k.ContainerOOMKills = now - c.killsBase
	}
	switch {
	case s.sum.Outcome == rundir.OutcomeFailed || len(s.sum.HarnessErrors) > 0:
		k.ExitCode = 3
	case !s.sum.Passed:
		k.ExitCode = 1
	}
	k.Reason = rundir.ContainerReason(k.ExitCode, k.ContainerOOMKills)
	s.sum.Kubernetes = k
}

// drainEvery is how often the supervisor writes out the sampler's records.
func (s *supervisor) drainEvery() time.Duration {
	if s.drain > 0 {
		return s.drain
	}
	return drainEvery
}
