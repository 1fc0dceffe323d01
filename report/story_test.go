package report

import (
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// TestOutcomeSentenceCountsKills: a run whose OOM killer took several
// worker processes says how many, and when the first died.
func TestOutcomeSentenceCountsKills(t *testing.T) {
	r := &Run{rundir.Run{Summary: rundir.Summary{Outcome: rundir.OutcomeOOMKilled, DurationS: 0.6,
		Cgroup: &rundir.CgroupSummary{Limit: units.LimitOf(256 << 20), PeakUsageBytes: 256 << 20}}}}
	r.Events = []rundir.Event{{T: 0.062, Kind: rundir.EventOOMKill}}
	if got := r.outcomeSentence(); !strings.Contains(got, "killed the worker at") {
		t.Errorf("one kill: %q", got)
	}
	r.Events = append(r.Events, rundir.Event{T: 0.066, Kind: rundir.EventOOMKill})
	if got := r.outcomeSentence(); !strings.Contains(got, "killed 2 worker processes, the first at") {
		t.Errorf("two kills: %q", got)
	}
}
