package scenarios

import (
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
)

func TestEvaluateExpectations(t *testing.T) {
	sum := &rundir.Summary{
		Outcome:       rundir.OutcomeCompleted,
		PeakRSSBytes:  300 << 20,
		PeakLiveBytes: 256 << 20,
		Allocator:     rundir.AllocatorInfo{Name: "glibc"},
		Cgroup:        &rundir.CgroupSummary{LimitBytes: 512 << 20, PeakUsageBytes: 480 << 20},
		Phases: []rundir.PhaseSummary{
			{Name: "fill", RSSBytes: 280 << 20, AnonBytes: 264 << 20, LiveBytes: 256 << 20},
			{Name: "punch", RSSBytes: 276 << 20, AnonBytes: 260 << 20, LiveBytes: 128 << 20},
			{Name: "grow#1", AnonBytes: 100 << 20},
			{Name: "grow#2", AnonBytes: 130 << 20},
		},
	}
	cases := []struct {
		expect Expect
		passed []bool
	}{
		{Expect{Phases: map[string]string{"punch": "anon/live >= 1.6 and rss > 90% of fill.rss"}}, []bool{true, true, true}},
		{Expect{Phases: map[string]string{"punch": "anon/live >= 2.1"}}, []bool{true, false}},
		{Expect{Phases: map[string]string{"punch": "rss < 2 * live and rss > 2.5 * live"}}, []bool{true, false, false}},
		{Expect{PeakUsage: "90%..100% of limit"}, []bool{true, true}},
		{Expect{PeakUsage: "95%..100% of limit"}, []bool{true, false}},
		{Expect{Outcome: "oom-killed"}, []bool{false}},
		{Expect{Phases: map[string]string{"grow": "anon < 120% of grow#1.anon"}}, []bool{true, true, false}},
		{Expect{Phases: map[string]string{"missing": "rss < 1MiB"}}, []bool{true, false}},
		{Expect{Allocators: []string{"jemalloc"}, Phases: map[string]string{"punch": "anon/live >= 9"}}, []bool{true}},
	}
	for _, tc := range cases {
		sc := &Scenario{Expect: &tc.expect}
		got := Evaluate(sc, sum)
		if len(got) != len(tc.passed) {
			t.Errorf("%+v: got %d expectations %+v, want %d", tc.expect, len(got), got, len(tc.passed))
			continue
		}
		for i, e := range got {
			if e.Passed != tc.passed[i] {
				t.Errorf("%+v: %q passed=%v (observed %s), want %v", tc.expect, e.Expr, e.Passed, e.Observed, tc.passed[i])
			}
		}
	}
}

// TestExpectationErrorsPointAtTheLine: a typo in an expectation is a
// scenario error at its line, before anything runs.
func TestExpectationErrorsPointAtTheLine(t *testing.T) {
	base := "name: x\nphases:\n  - name: fill\n    allocate: {size: 4KiB, until: {bytes: 1MiB}}\nexpect:\n"
	cases := []struct{ text, want string }{
		{"  phases:\n    fill: rss >> 3\n", "test.yaml:7:11: expect.phases.fill: \"rss >> 3\": want an operator"},
		{"  phases:\n    fil: rss < 1MiB\n", "test.yaml:7:5: expect.phases.fil: no phase is named \"fil\""},
		{"  phases:\n    fill: rsz < 1MiB\n", "unknown metric \"rsz\""},
		{"  outcome: oom-kiled\n", "test.yaml:6:12: expect.outcome: unknown outcome \"oom-kiled\""},
		{"  peak_usage: 90%..100% of limt\n", "unknown reference \"limt\""},
		{"  allocators: [hoard]\n", "expect.allocators[0]: want one of glibc"},
	}
	for _, tc := range cases {
		_, err := Parse("test.yaml", []byte(base+tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
}
