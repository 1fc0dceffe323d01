package report

import (
	"strings"
	"testing"
)

// TestOutcomeSentenceCountsKills: a run whose OOM killer took several
// worker processes says how many, and when the first died.
func TestOutcomeSentenceCountsKills(t *testing.T) {
	r := &Run{Summary: Summary{Outcome: OutcomeOOMKilled, DurationS: 0.6,
		Cgroup: &CgroupSummary{LimitBytes: 256 << 20, PeakUsageBytes: 256 << 20}}}
	r.Events = []Event{{T: 0.062, Kind: EventOOMKill}}
	if got := r.outcomeSentence(); !strings.Contains(got, "killed the worker at") {
		t.Errorf("one kill: %q", got)
	}
	r.Events = append(r.Events, Event{T: 0.066, Kind: EventOOMKill})
	if got := r.outcomeSentence(); !strings.Contains(got, "killed 2 worker processes, the first at") {
		t.Errorf("two kills: %q", got)
	}
}
