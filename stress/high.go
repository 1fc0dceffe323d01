package stress

import (
	"fmt"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// EventHighThrottle is the event that says how fast a run with a high
// limit allocated below and above it, and how many times the cgroup
// counted usage over it.
const EventHighThrottle = "high-throttle"

// highMeter measures, from the samples, the allocation rate of a run with
// a high limit while the cgroup's usage is below it and while it is at or
// above it. An interval between two samples counts when both lie in the
// same allocate step, on the side of the high limit of its first sample:
// holds, frees and the time between steps are not allocation.
type highMeter struct {
	high     int64           // bytes; 0: no high limit, nothing measured
	allocate map[string]bool // phase names of allocate steps
	last     rundir.Sample
	have     bool
	side     [2]struct { // below, above
		bytes int64
		secs  float64
	}
}

// add takes the next sample.
func (m *highMeter) add(v rundir.Sample) {
	if m.high <= 0 || v.CgroupUsage < 0 || v.AllocBytes < 0 {
		return
	}
	if m.have && v.Phase == m.last.Phase && m.allocate[v.Phase] && v.T > m.last.T {
		k := 0
		if m.last.CgroupUsage >= m.high {
			k = 1
		}
		m.side[k].bytes += v.AllocBytes - m.last.AllocBytes
		m.side[k].secs += v.T - m.last.T
	}
	m.last, m.have = v, true
}

// rate is side k's bytes per second; ok is false when no time was spent there.
func (m *highMeter) rate(k int) (float64, bool) {
	if m.side[k].secs <= 0 {
		return 0, false
	}
	return float64(m.side[k].bytes) / m.side[k].secs, true
}

// describe is the event's text: the two rates, their ratio, and the high
// events (-1: absent, which v1 always is: it has no memory.high, and the
// run's high limit became the soft limit, which throttles nothing).
func (m *highMeter) describe(version int, highEvents int64) string {
	side := func(k int) string {
		r, ok := m.rate(k)
		if !ok {
			return "absent (no allocation sampled there)"
		}
		return fmt.Sprintf("%s/s (%s in %.2fs)", units.FormatBytes(int64(r)), units.FormatBytes(m.side[k].bytes), m.side[k].secs)
	}
	s := fmt.Sprintf("high %s: allocation below it %s, at or above it %s", units.FormatBytes(m.high), side(0), side(1))
	below, ok0 := m.rate(0)
	above, ok1 := m.rate(1)
	if ok0 && ok1 && below > 0 {
		s += fmt.Sprintf(": above high it ran at %.3g of its rate below", above/below)
	}
	if version == 1 {
		return s + "; high events absent: cgroup v1 has no memory.high (the high limit was set as the soft limit, which does not throttle)"
	}
	if highEvents < 0 {
		return s + "; high events absent (memory.events has no high line)"
	}
	return s + fmt.Sprintf("; memory.events counted %d high events", highEvents)
}

// startHighMeter prepares the meter when the run has a high limit.
func (s *supervisor) startHighMeter() {
	high, ok := s.limits.High.Bytes()
	if !ok || s.cg == nil {
		return
	}
	s.high = &highMeter{high: high, allocate: map[string]bool{}}
	for _, st := range s.steps {
		if st.Phase.Allocate != nil {
			s.high.allocate[st.Name] = true
		}
	}
}

// reportHigh writes the high-throttle event at the end of a run with a
// high limit.
func (s *supervisor) reportHigh() {
	if s.high == nil || s.cg == nil {
		return
	}
	events := int64(units.Absent)
	if s.cg.Version() == 1 {
		// v1 has no high events to read
	} else if st, err := s.cg.Stats(); err != nil {
		s.harnessFailed("reading the cgroup's high events", err)
	} else if v, ok := st.Events["high"]; ok && st.Version == 2 {
		events = v
	}
	s.event(rundir.Event{Kind: EventHighThrottle, Detail: s.high.describe(s.cg.Version(), events)})
}
