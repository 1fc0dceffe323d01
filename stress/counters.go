package stress

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// startCounters takes the cgroup's counters at the run's start, from
// which the summary's are differences, so that a cgroup used before (in
// "current" mode, memstorm's own or a container's) shows each run only
// its own. In that mode it also tries to restart the kernel's peak for the
// run (cgroup.ResetPeak); where that is refused the peak is sampled and
// the kernel's lifetime peak is recorded beside it.
func (s *supervisor) startCounters(st cgroup.Stats) {
	s.base = st
	cs := s.sum.Cgroup
	if st.OOMGroup >= 0 {
		on := st.OOMGroup == 1
		cs.OOMGroup = &on
	}
	cs.OOMKilledProcesses, cs.OOMKill, cs.OOMGroupKill = 0, 0, 0
	if st.OOMKills < 0 {
		cs.OOMKilledProcesses, cs.OOMKill = units.Absent, units.Absent
	}
	if st.OOMGroupKills < 0 {
		cs.OOMGroupKill = units.Absent
	}
	cs.PeakSwapBytes = units.Absent
	if st.SwapUsage >= 0 {
		cs.PeakSwapBytes = 0
	}
	cs.LifetimePeakUsageBytes = units.Absent
	if s.cg.Mode() == CgroupCurrent && st.PeakSource == cgroup.PeakKernel {
		if p, err := cgroup.ResetPeak(s.cg.Version(), s.cg.Path()); err == nil {
			s.runPeak = p
		} else {
			s.peakNote = err.Error()
		}
	}
}

// peakFile names the kernel's peak file of a cgroup version.
func peakFile(version int) string {
	if version == 1 {
		return "memory.max_usage_in_bytes"
	}
	return "memory.peak"
}

// oomKillsSince is the kernel's oom_kill count over the run at reading
// st; units.Absent when the kernel does not count.
func (s *supervisor) oomKillsSince(st cgroup.Stats) int64 {
	if st.OOMKills < 0 || s.base.OOMKills < 0 {
		return units.Absent
	}
	return st.OOMKills - s.base.OOMKills
}

// finishCounters records the run's own counters from the final reading st,
// and the run's peak usage.
func (s *supervisor) finishCounters(st cgroup.Stats) {
	cs := s.sum.Cgroup
	cs.Events = cgroup.CountersSince(s.base, st)
	cs.Failcnt = cs.Events["failcnt"]
	cs.OOMKill = s.oomKillsSince(st)
	if v, ok := cs.Events["oom_group_kill"]; ok && s.base.OOMGroupKills >= 0 {
		cs.OOMGroupKill = v
	}
	if s.base.OOMKills >= 0 {
		cs.OOMKilledProcesses = s.oomSeen
	}
	if s.cg.Mode() == CgroupCurrent {
		cs.LifetimeEvents = st.Counters()
	}
	if st.SwapUsage > cs.PeakSwapBytes && cs.PeakSwapBytes >= 0 {
		cs.PeakSwapBytes = st.SwapUsage
	}
	switch {
	case st.Peak >= 0 && s.cg.Mode() == CgroupChild:
		cs.PeakUsageBytes, cs.PeakSource = st.Peak, peakFile(st.Version)
	case s.runPeak != nil:
		v, err := s.runPeak.Read()
		if err != nil {
			s.harnessFailed("the run's peak usage", err)
			break
		}
		// The kernel's mark restarts at the usage of the moment of the
		// reset; a sample can only be at or below the mark.
		cs.PeakUsageBytes, cs.PeakSource = max(v, cs.PeakUsageBytes), peakFile(st.Version)
	case st.Peak >= 0:
		cs.LifetimePeakUsageBytes, cs.PeakNote = st.Peak, s.peakNote
	}
	if s.runPeak != nil {
		_ = s.runPeak.Close()
		s.runPeak = nil
	}
}

// openSwapFile opens the cgroup's swap usage file for the sampler; nil
// where the kernel does not account swap. memsw: the file holds memory
// plus swap (v1).
func (s *supervisor) openSwapFile() (f *os.File, memsw bool) {
	if s.cg == nil || s.base.SwapUsage < 0 {
		return nil, false
	}
	name, memsw := cgroup.SwapUsageFile(s.cg.Version())
	f, err := os.Open(filepath.Join(s.cg.Path(), name))
	if err != nil {
		s.harnessFailed("the cgroup's swap usage", err)
		return nil, false
	}
	s.files = append(s.files, f)
	return f, memsw
}

// noteSwap follows the swap of the run's cgroup and of the workers in
// each sample: their peaks, and one event when the run begins to swap (a
// limit on memory alone lets a swapping run hold more than the limit).
func (s *supervisor) noteSwap(v rundir.Sample) {
	s.sum.PeakSwapBytes = max(s.sum.PeakSwapBytes, v.Swap)
	cgSwapped := false
	if cs := s.sum.Cgroup; cs != nil && v.CgroupSwap >= 0 && cs.PeakSwapBytes >= 0 {
		cs.PeakSwapBytes = max(cs.PeakSwapBytes, v.CgroupSwap)
		cgSwapped = v.CgroupSwap > max(s.base.SwapUsage, 0)
	}
	if s.swapSeen || (!cgSwapped && v.Swap <= 0) {
		return
	}
	s.swapSeen = true
	detail := fmt.Sprintf("the run swaps: the workers have %s swapped out", units.FormatBytes(max(v.Swap, 0)))
	if v.CgroupSwap >= 0 {
		detail += fmt.Sprintf(", the cgroup %s of swap", units.FormatBytes(v.CgroupSwap))
	}
	s.event(rundir.Event{T: v.T, Kind: rundir.EventSwap, Phase: v.Phase, Detail: detail, Bytes: rundir.Figure(v.Live)})
}
