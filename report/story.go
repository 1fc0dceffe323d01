package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// PhaseEnds is the per-phase table: the summary's phases, or, for a run
// whose summary has none (killed before it was written), the last sample of
// each phase.
func (r *Run) PhaseEnds() []rundir.PhaseSummary {
	if len(r.Summary.Phases) > 0 {
		out := append([]rundir.PhaseSummary(nil), r.Summary.Phases...)
		for i := range out {
			// A phase the run never finished has no end figures in the
			// summary: its row shows the last sample taken.
			if p := &out[i]; p.EndS < p.StartS && len(r.Samples) > 0 {
				s := &r.Samples[len(r.Samples)-1]
				end := rundir.PhaseSummary{Name: p.Name, StartS: p.StartS, EndS: s.T,
					RSSBytes: s.RSS, AnonBytes: s.Anon, LiveBytes: s.Live, HeapInuseBytes: s.HeapInuse, HeapHeldBytes: s.HeapHeld,
					CgroupUsageBytes: max(s.CgroupUsage, 0)}
				*p = end
			}
		}
		return out
	}
	var out []rundir.PhaseSummary
	for _, sp := range r.Phases() {
		s := r.sampleAt(sp.End)
		if s == nil {
			continue
		}
		out = append(out, rundir.PhaseSummary{Name: sp.Name, StartS: sp.Start, EndS: sp.End,
			RSSBytes: s.RSS, AnonBytes: s.Anon, LiveBytes: s.Live, HeapInuseBytes: s.HeapInuse, HeapHeldBytes: s.HeapHeld,
			CgroupUsageBytes: max(s.CgroupUsage, 0)})
	}
	return out
}

// sampleAt is the first sample at or after t, else the last one.
func (r *Run) sampleAt(t float64) *rundir.Sample {
	if len(r.Samples) == 0 {
		return nil
	}
	i := sort.Search(len(r.Samples), func(i int) bool { return r.Samples[i].T >= t })
	if i == len(r.Samples) {
		i--
	}
	return &r.Samples[i]
}

// Frag is RSS (or anon) over live, the headline fragmentation figure;
// NaN where units.Ratio says it is undefined (nothing live).
func Frag(rss, live int64) float64 {
	r, _ := units.Ratio(rss, live)
	return r
}

// Story tells the run in a few plain sentences, from the data: how far live
// memory grew and where, what RSS did when memory was freed, what trims
// returned, and how the run ended.
func (r *Run) Story() string {
	var b strings.Builder
	s := &r.Summary
	ends := r.PhaseEnds()

	peakLive, peakAt := int64(-1), -1
	for i, p := range ends {
		if p.LiveBytes > peakLive {
			peakLive, peakAt = p.LiveBytes, i
		}
	}
	peakRSS := s.PeakRSSBytes
	for i := range r.Samples {
		peakRSS = max(peakRSS, r.Samples[i].RSS)
	}
	spans := r.Phases()
	if s.PeakLiveBytes > 0 && peakAt >= 0 && peakAt < len(spans) && spans[peakAt].Unfinished {
		fmt.Fprintf(&b, "Allocated up to %s live during '%s', which never finished (peak RSS %s).", units.FormatBytes(s.PeakLiveBytes), ends[peakAt].Name, units.FormatBytes(peakRSS))
	} else if s.PeakLiveBytes > 0 && peakAt >= 0 {
		fmt.Fprintf(&b, "Allocated up to %s live by the end of '%s' (peak RSS %s).", units.FormatBytes(s.PeakLiveBytes), ends[peakAt].Name, units.FormatBytes(peakRSS))
	} else if peakRSS > 0 {
		fmt.Fprintf(&b, "Peak RSS was %s.", units.FormatBytes(peakRSS))
	}
	for i := 1; i < len(ends); i++ {
		prev, cur := ends[i-1], ends[i]
		if prev.LiveBytes <= 0 || cur.LiveBytes < 0 || float64(cur.LiveBytes) > 0.9*float64(prev.LiveBytes) {
			continue
		}
		freed := 1 - float64(cur.LiveBytes)/float64(prev.LiveBytes)
		what := fmt.Sprintf("%.0f%% of the live bytes", 100*freed)
		switch {
		case freed > 0.99:
			what = "everything"
		case math.Abs(freed-0.5) < 0.03:
			what = "half"
		}
		rssKept := float64(cur.RSSBytes) / float64(max(prev.RSSBytes, 1))
		fmt.Fprintf(&b, " After '%s' freed %s, RSS ", cur.Name, what)
		switch {
		case rssKept > 0.9:
			fmt.Fprintf(&b, "stayed at %s", units.FormatBytes(cur.RSSBytes))
		default:
			fmt.Fprintf(&b, "fell to %s", units.FormatBytes(cur.RSSBytes))
		}
		if f := Frag(cur.RSSBytes, cur.LiveBytes); !math.IsNaN(f) {
			fmt.Fprintf(&b, ": %s the live bytes.", units.FormatTimes(f))
		} else {
			b.WriteString(" with nothing live.")
		}
	}
	for _, e := range r.Events {
		if e.Kind != rundir.EventTrim {
			continue
		}
		// The figures of a trim are those of its phase's boundaries: the
		// end of the phase before it and the end of its own, never a
		// sample taken while it ran.
		before, after, ok := r.trimBounds(e.Phase)
		if !ok {
			continue
		}
		if d := before.RSSBytes - after.RSSBytes; d > 0 {
			fmt.Fprintf(&b, " The trim in '%s' returned %s to the kernel (RSS %s at the end of '%s' → %s at its own end).",
				after.Name, units.FormatBytes(d), units.FormatBytes(before.RSSBytes), before.Name, units.FormatBytes(after.RSSBytes))
		} else {
			fmt.Fprintf(&b, " The trim in '%s' returned nothing measurable.", after.Name)
		}
	}
	b.WriteString(" " + r.outcomeSentence())
	if n := len(s.Expectations); n > 0 {
		held := 0
		for _, x := range s.Expectations {
			if x.Passed {
				held++
			}
		}
		fmt.Fprintf(&b, " %d of %d expectations held.", held, n)
	}
	return strings.TrimSpace(b.String())
}

// outcomeSentence says how the run ended.
func (r *Run) outcomeSentence() string {
	s := &r.Summary
	ta := TimeAxisFor(s.DurationS)
	at := func(kind string) string {
		for _, e := range r.Events {
			if e.Kind == kind {
				return " at " + ta.Format(e.T)
			}
		}
		return ""
	}
	limit := ""
	if cg := s.Cgroup; cg != nil && cg.Limit.Bounded() {
		limit = fmt.Sprintf(" (cgroup limit %s, peak usage %s)", cg.Limit, units.FormatBytes(cg.PeakUsageBytes))
	}
	if rundir.KilledWithContainer(&r.Run) {
		return fmt.Sprintf("The record stops at %s: %s.", ta.Format(s.DurationS), rundir.KilledWithContainerReason)
	}
	if r.Incomplete {
		return fmt.Sprintf("The record stops at %s: %s, so how the run ended is not known.", ta.Format(s.DurationS), rundir.IncompleteReason)
	}
	reason := ""
	if s.Reason != "" {
		reason = ": " + s.Reason
	}
	switch s.Outcome {
	case rundir.OutcomeCompleted:
		return fmt.Sprintf("Every phase ran; the run took %s.", ta.Format(s.DurationS))
	case rundir.OutcomeOOMKilled:
		kills := 0
		for _, e := range r.Events {
			if e.Kind == rundir.EventOOMKill {
				kills++
			}
		}
		if kills > 1 {
			return fmt.Sprintf("The kernel's OOM killer killed %d worker processes, the first%s%s.", kills, at(rundir.EventOOMKill), limit)
		}
		return fmt.Sprintf("The kernel's OOM killer killed the worker%s%s.", at(rundir.EventOOMKill), limit)
	case rundir.OutcomeENOMEM:
		return fmt.Sprintf("An allocation failed with ENOMEM%s%s; the remaining phases ran.", at(rundir.EventENOMEM), limit)
	case rundir.OutcomeStoppedAtLimit:
		return fmt.Sprintf("Allocation stopped short of the cgroup limit%s%s.", at(rundir.EventLimit), limit)
	case rundir.OutcomeHugeTLBLimit:
		return fmt.Sprintf("A huge page fault went past the cgroup's hugetlb limit and the kernel sent the worker SIGBUS, after %s (an OOM kill it is not: hugetlb pages are never reclaimed)%s.", ta.Format(s.DurationS), reason)
	case rundir.OutcomeInterrupted:
		return "The run was interrupted" + reason + "."
	case rundir.OutcomeFailed:
		return "The run failed" + reason + "."
	}
	return fmt.Sprintf("Outcome: %s%s.", s.Outcome, reason)
}

// trimBounds finds the recorded phase named phase and the one before it:
// the boundaries a trim's effect is measured between.
func (r *Run) trimBounds(phase string) (before, after rundir.PhaseSummary, ok bool) {
	ps := r.PhaseEnds()
	for i := 1; i < len(ps); i++ {
		if ps[i].Name == phase && ps[i].EndS > 0 && ps[i-1].RSSBytes >= 0 && ps[i].RSSBytes >= 0 {
			return ps[i-1], ps[i], true
		}
	}
	return rundir.PhaseSummary{}, rundir.PhaseSummary{}, false
}
