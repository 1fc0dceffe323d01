package rundir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Zero is a value: every count and byte figure of a summary is written when
// it is 0, and Absent (-1) is written as such, never left out.
func TestSummaryWritesZeros(t *testing.T) {
	f := false
	s := Summary{Outcome: OutcomeCompleted, Phases: []PhaseSummary{{Name: "p"}},
		Cgroup: &CgroupSummary{Version: 2, OOMGroup: &f, OOMKill: Absent}}
	b, err := json.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"failcnt":0`, `"oom_killed_processes":0`, `"oom_kill":-1`, `"oom_group_kill":0`,
		`"peak_swap_bytes":0`, `"cgroup_usage_bytes":0`, `"oom_group":false`, `"lifetime_peak_usage_bytes":0`,
		`"peak_live_bytes":0`, `"thp":{"scenario":"","host":"","effective":""}`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("summary.json %s: no %s", b, key)
		}
	}
}

// A summary of an earlier version reads: its "oom_kills" (the kernel's
// counter) is OOMKill, and what it did not record is Absent, not 0.
func TestSummaryOfEarlierVersion(t *testing.T) {
	s, err := ReadSummary(filepath.Join("testdata", "rundirs", "valid", SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	want := CgroupSummary{OOMKill: 0, OOMKilledProcesses: Absent, OOMGroupKill: Absent, LifetimePeakUsageBytes: Absent, PeakSwapBytes: Absent, Failcnt: 0}
	got := *s.Cgroup
	got = CgroupSummary{OOMKill: got.OOMKill, OOMKilledProcesses: got.OOMKilledProcesses, OOMGroupKill: got.OOMGroupKill,
		LifetimePeakUsageBytes: got.LifetimePeakUsageBytes, PeakSwapBytes: got.PeakSwapBytes, Failcnt: got.Failcnt}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if s.PeakSwapBytes != Absent {
		t.Errorf("peak_swap_bytes of a summary without it = %d, want Absent", s.PeakSwapBytes)
	}
	if s.Phases[0].CgroupUsageBytes != 5767168 {
		t.Errorf("phase cgroup usage %d, want the file's 5767168", s.Phases[0].CgroupUsageBytes)
	}

	// An earlier oom_kills of 3 is the kernel's count; no cgroup: the
	// phases' cgroup usage was not measured.
	old := `{"outcome":"oom-killed","phases":[{"name":"fill"}],"cgroup":{"version":1,"oom_kills":3}}`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, SummaryFile), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = ReadSummary(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if s.Cgroup.OOMKill != 3 || s.Cgroup.OOMKilledProcesses != Absent {
		t.Errorf("oom_kill %d, oom_killed_processes %d: want 3 and Absent", s.Cgroup.OOMKill, s.Cgroup.OOMKilledProcesses)
	}
	noCg := `{"outcome":"completed","peak_swap_bytes":0,"phases":[{"name":"fill"}]}`
	if err := os.WriteFile(filepath.Join(dir, SummaryFile), []byte(noCg), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err = ReadSummary(filepath.Join(dir, SummaryFile)); err != nil {
		t.Fatal(err)
	}
	if s.Phases[0].CgroupUsageBytes != Absent || s.PeakSwapBytes != 0 {
		t.Errorf("without a cgroup: phase cgroup usage %d, peak swap %d; want Absent and the file's 0", s.Phases[0].CgroupUsageBytes, s.PeakSwapBytes)
	}
}
