package scenarios

import (
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

func TestEvaluateExpectations(t *testing.T) {
	sum := &rundir.Summary{
		Outcome:       rundir.OutcomeCompleted,
		PeakRSSBytes:  300 << 20,
		PeakLiveBytes: 256 << 20,
		Allocator:     rundir.AllocatorInfo{Name: "glibc"},
		Cgroup:        &rundir.CgroupSummary{Limit: units.LimitOf(512 << 20), PeakUsageBytes: 480 << 20},
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

// TestRatioOverNothingFails: "anon/live >= 1000" must not pass when nothing
// is live; the ratio is undefined and the expectation says so.
func TestRatioOverNothingFails(t *testing.T) {
	sum := &rundir.Summary{Outcome: rundir.OutcomeCompleted, Phases: []rundir.PhaseSummary{
		{Name: "free", AnonBytes: 10 << 20, LiveBytes: 0, HeapInuseBytes: units.Absent},
	}}
	for _, tc := range []struct{ expr, word string }{
		{"anon/live >= 1000", units.Undefined},
		{"anon/live < 1", units.Undefined},
		{"heap_inuse < 1MiB", "absent"},
	} {
		sc := &Scenario{Expect: &Expect{Phases: map[string]string{"free": tc.expr}}}
		got := Evaluate(sc, sum)
		if len(got) != 2 || got[1].Passed || !strings.Contains(got[1].Observed, tc.word) {
			t.Errorf("%s: %+v, want a failed expectation saying %q", tc.expr, got, tc.word)
		}
	}
}

// TestLimitAllowsForcedCharges: the kernel may record a peak of the limit
// plus the page a dying task was faulting in, once per worker thread; one
// byte more than that is over the limit.
func TestLimitAllowsForcedCharges(t *testing.T) {
	const limit = 32 << 20
	for _, tc := range []struct {
		workers  int
		peak     int64
		expr     string
		passed   bool
		observed string
	}{
		{1, limit + 4096, "90%..100% of limit", true, "33558528 bytes"},
		{1, limit + 4097, "90%..100% of limit", false, ""},
		{2, limit + 8192, "90%..100% of limit", true, ""},
		{1, limit + 4096, "<= 100% of limit", true, ""},
		{1, limit + 4096, "< 90% of limit", false, ""},
		{1, limit - 4096, ">= 100% of limit", false, ""}, // a lower bound gets no slack
	} {
		sum := &rundir.Summary{Outcome: rundir.OutcomeOOMKilled, Machine: rundir.Machine{PageSize: 4096},
			Cgroup: &rundir.CgroupSummary{Limit: units.LimitOf(limit), PeakUsageBytes: tc.peak}}
		sc := &Scenario{Workers: tc.workers, Processes: 1, Expect: &Expect{Outcome: "oom-killed", PeakUsage: tc.expr}}
		got := Evaluate(sc, sum)
		if len(got) != 2 || got[1].Passed != tc.passed || !strings.Contains(got[1].Observed, tc.observed) {
			t.Errorf("workers %d peak %d %q: %+v, want passed=%v observed containing %q", tc.workers, tc.peak, tc.expr, got, tc.passed, tc.observed)
		}
	}
}

// TestSampledUsageAllowsChargeBatches: a usage the sampler read may be over
// the limit by one charge batch (64 pages) per CPU, the kernel's add-then-
// compare; the kernel's own peak may not, and neither may one byte more.
func TestSampledUsageAllowsChargeBatches(t *testing.T) {
	const limit, page = 32 << 20, 4096
	for _, tc := range []struct {
		name   string
		expr   string
		usage  int64  // the phase's sampled cgroup usage
		peak   int64  // the cgroup's peak
		source string // where the peak came from
		passed bool
	}{
		{"sampled usage, 52 pages over", "cgroup_usage <= 100% of limit", limit + 52*page, 0, "", true},
		{"sampled usage, two batches and a page", "cgroup_usage <= 100% of limit", limit + (2*64+1)*page, 0, "", true},
		{"sampled usage, one byte more", "cgroup_usage <= 100% of limit", limit + (2*64+1)*page + 1, 0, "", false},
		{"kernel peak, 52 pages over", "", 0, limit + 52*page, "memory.peak", false},
		{"sampled peak, 52 pages over", "", 0, limit + 52*page, "sampled", true},
	} {
		sum := &rundir.Summary{Outcome: rundir.OutcomeCompleted, Machine: rundir.Machine{PageSize: page, UsableCPUs: 2},
			Cgroup: &rundir.CgroupSummary{Limit: units.LimitOf(limit), PeakUsageBytes: tc.peak, PeakSource: tc.source},
			Phases: []rundir.PhaseSummary{{Name: "write", CgroupUsageBytes: tc.usage}}}
		ex := &Expect{Outcome: "completed"}
		if tc.expr != "" {
			ex.Phases = map[string]string{"write": tc.expr}
		} else {
			ex.PeakUsage = "<= 100% of limit"
		}
		got := Evaluate(&Scenario{Workers: 1, Processes: 1, Expect: ex}, sum)
		if len(got) != 2 || got[1].Passed != tc.passed {
			t.Errorf("%s: %+v, want passed=%v", tc.name, got, tc.passed)
		}
	}
}
