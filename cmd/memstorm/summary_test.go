package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// The terminal summary says which count is which: the processes the OOM
// killer killed apart from the kernel's counters, the run's own counts
// beside the cgroup's totals, a peak that is not the run's own, and swap.
func TestPrintSummaryCounts(t *testing.T) {
	on := true
	tests := []struct {
		name      string
		sum       rundir.Summary
		want, not []string
	}{
		{"quiet child run", rundir.Summary{Scenario: "s", Outcome: rundir.OutcomeCompleted, PeakSwapBytes: 0,
			Cgroup: &rundir.CgroupSummary{Version: 1, Mode: "child", PeakUsageBytes: 10 << 20, PeakSource: "memory.max_usage_in_bytes",
				OOMGroupKill: units.Absent, LifetimePeakUsageBytes: units.Absent, PeakSwapBytes: 0}},
			[]string{"peak usage 10 MiB (memory.max_usage_in_bytes), no OOM kill, failcnt 0\n"},
			[]string{"WARNING", "lifetime"}},
		{"group kill", rundir.Summary{Scenario: "s", Outcome: rundir.OutcomeOOMKilled, PeakSwapBytes: 0,
			Cgroup: &rundir.CgroupSummary{Version: 2, Mode: "child", OOMGroup: &on, OOMKilledProcesses: 3, OOMKill: 5, OOMGroupKill: 1,
				Failcnt: 40, LifetimePeakUsageBytes: units.Absent, PeakSwapBytes: 0, PeakSource: "memory.peak"}},
			[]string{"worker processes killed by the OOM killer 3; kernel counters oom_kill 5, oom_group_kill 1 (the kernel counts kill actions, not processes",
				"charges refused at the limit (failcnt) 40\n"},
			[]string{"WARNING", "no OOM kill"}},
		{"current cgroup used before, swapping", rundir.Summary{Scenario: "s", Outcome: rundir.OutcomeStoppedAtLimit, PeakSwapBytes: 4 << 20,
			Cgroup: &rundir.CgroupSummary{Version: 2, Mode: "current", OOMGroupKill: 0, Failcnt: 7, PeakSource: "sampled",
				LifetimePeakUsageBytes: 64 << 20, PeakSwapBytes: 6 << 20, LifetimeEvents: map[string]int64{"failcnt": 95, "oom_kill": 1}}},
			[]string{"the kernel's, 64 MiB, is the cgroup's lifetime peak", "worker processes killed by the OOM killer 0; kernel counters oom_kill 0, oom_group_kill 0\n",
				"(failcnt) 7; every count is the run's own, the cgroup's totals since it was made: failcnt 95, oom_kill 1",
				"WARNING: the run swapped: the workers' swap peaked at 4 MiB, the cgroup's at 6 MiB"},
			[]string{"kill actions, not processes"}},
		{"no counting kernel", rundir.Summary{Scenario: "s", Outcome: rundir.OutcomeCompleted,
			Cgroup: &rundir.CgroupSummary{Version: 1, Mode: "child", OOMKilledProcesses: units.Absent, OOMKill: units.Absent, OOMGroupKill: units.Absent,
				LifetimePeakUsageBytes: units.Absent, PeakSwapBytes: units.Absent}},
			[]string{"OOM kills not counted by this kernel"}, []string{"WARNING"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			printSummary(&b, "dir", &tc.sum, nil)
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("no %q in:\n%s", w, b.String())
				}
			}
			for _, n := range tc.not {
				if strings.Contains(b.String(), n) {
					t.Errorf("%q in:\n%s", n, b.String())
				}
			}
		})
	}
}
