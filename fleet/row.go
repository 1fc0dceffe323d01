package fleet

import (
	"math"

	"github.com/memstorm/memstorm/bundle"
	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
	"gonum.org/v1/plot/plotter"
)

// Verdict is a run's result in the fleet table.
type Verdict string

// The verdicts, from best to worst.
const (
	VerdictPass       Verdict = "pass"
	VerdictFail       Verdict = "fail"
	VerdictError      Verdict = "error"
	VerdictIncomplete Verdict = "incomplete"
	// VerdictKilled is a run cut off by its container's OOM group kill
	// (rundir.KilledWithContainer): memstorm died with the worker, and the
	// record stops at the kill.
	VerdictKilled Verdict = "killed-with-container"
)

// curveColumns is how many time columns a run's curve keeps: the overlay
// is a few hundred points wide, so a long run costs no more than a short
// one once loaded.
const curveColumns = 300

// Row is one run of one bundle.
type Row struct {
	Node      string         `json:"node"`
	Pod       string         `json:"pod,omitempty"`
	Bundle    string         `json:"bundle"` // where the bundle was found
	Run       string         `json:"run"`    // the run directory within it
	Scenario  string         `json:"scenario"`
	Allocator string         `json:"allocator"`
	Outcome   rundir.Outcome `json:"outcome,omitempty"` // "" for an incomplete run
	Verdict   Verdict        `json:"verdict"`
	Reason    string         `json:"reason,omitempty"`
	Failed    []string       `json:"failed,omitempty"` // expectations that did not hold, with what was observed
	Kernel    string         `json:"kernel,omitempty"`
	Cgroup    int            `json:"cgroup_version"`
	// LimitBytes is the cgroup's hard limit; null without one.
	LimitBytes     *int64 `json:"limit_bytes"`
	PeakUsageBytes int64  `json:"peak_usage_bytes"`
	// PeakShare is the cgroup's peak usage over its limit (at an OOM kill,
	// the share of the limit at the kill); null without a limit.
	PeakShare *float64 `json:"peak_share"`
	// AnonShareAtKill is the worker's anonymous memory at the last sample
	// before the first OOM kill, over the limit: how much of the limit the
	// program's own memory had reached; the rest is the kernel's and the
	// page cache's. Null without a kill or a limit.
	AnonShareAtKill *float64 `json:"anon_share_at_kill"`
	// TimeToKillS is the first OOM kill's time from the worker's start;
	// null without one.
	TimeToKillS *float64 `json:"time_to_kill_s"`
	OOMKills    int64    `json:"oom_kills"` // worker processes the OOM killer killed (summary.json's oom_killed_processes); -1 when the kernel does not count them
	Processes   int      `json:"processes"`
	// K8sExitCode and K8sReason are the container's termination as
	// Kubernetes shows it (summary.json's kubernetes, or exit 137 and
	// OOMKilled for a run killed with its container); absent outside
	// Kubernetes.
	K8sExitCode *int    `json:"k8s_exit_code,omitempty"`
	K8sReason   string  `json:"k8s_reason,omitempty"`
	DurationS   float64 `json:"duration_s"`

	curve plotter.XYs // cgroup usage (over the limit, when there is one) against time, decimated
}

// rowOf makes the row of run i of b, loaded as r.
func rowOf(b *bundle.Bundle, i int, r *rundir.Run) Row {
	m, br := b.Manifest, b.Manifest.Runs[i]
	s := &r.Summary
	row := Row{Node: m.Node, Pod: m.Pod, Bundle: b.Source, Run: br.Dir, Scenario: s.Scenario, Allocator: s.Allocator.Name,
		Outcome: s.Outcome, Reason: s.Reason, Kernel: s.Machine.Kernel, Cgroup: s.Machine.CgroupVersion,
		OOMKills: rundir.Absent, Processes: s.Processes, DurationS: s.DurationS, PeakUsageBytes: rundir.Absent}
	if row.Scenario == "" {
		row.Scenario = br.Scenario
	}
	if row.Allocator == "" {
		row.Allocator = br.Allocator
	}
	if row.Kernel == "" {
		row.Kernel = m.Host.Machine.Kernel
		row.Cgroup = m.Host.Machine.CgroupVersion
	}
	if k := s.Kubernetes; k != nil {
		code := k.ExitCode
		row.K8sExitCode, row.K8sReason = &code, k.Reason
	}
	switch {
	case rundir.KilledWithContainer(r):
		row.Verdict = VerdictKilled
		row.Reason = rundir.KilledWithContainerReason
		code := rundir.ExitKilled
		row.K8sExitCode, row.K8sReason = &code, rundir.ReasonOOMKilled
	case r.Incomplete:
		row.Verdict = VerdictIncomplete
		row.Reason = rundir.IncompleteReason
	case s.Outcome == rundir.OutcomeFailed || len(s.HarnessErrors) > 0:
		row.Verdict = VerdictError
	case !s.Passed:
		row.Verdict = VerdictFail
	default:
		row.Verdict = VerdictPass
	}
	for _, e := range s.Expectations {
		if !e.Passed {
			row.Failed = append(row.Failed, e.Expr+" (observed "+e.Observed+")")
		}
	}
	var limit int64
	if c := s.Cgroup; c != nil {
		row.OOMKills, row.PeakUsageBytes = c.OOMKilledProcesses, c.PeakUsageBytes
		if lim, ok := c.Limit.Bytes(); ok && lim > 0 {
			limit = lim
			row.LimitBytes = &lim
			row.PeakShare = share(c.PeakUsageBytes, lim)
		}
	}
	if lim, ok := rundir.GroupKillLimit(r.Events); ok && row.Verdict == VerdictKilled && row.LimitBytes == nil {
		// No summary: the container's limit and the sampled peak.
		limit, row.LimitBytes = lim, &lim
		for j := range r.Samples {
			row.PeakUsageBytes = max(row.PeakUsageBytes, r.Samples[j].CgroupUsage)
		}
		row.PeakShare = share(row.PeakUsageBytes, lim)
	}
	kill := -1.0
	for _, e := range r.Events {
		if e.Kind == rundir.EventOOMKill {
			kill = e.T
			row.TimeToKillS = &kill
			break
		}
	}
	if kill >= 0 && limit > 0 {
		anon := int64(rundir.Absent)
		for j := range r.Samples {
			if r.Samples[j].T > kill {
				break
			}
			anon = r.Samples[j].Anon
		}
		row.AnonShareAtKill = share(anon, limit)
	}
	row.curve = curveOf(r.Samples, limit)
	return row
}

// share is n/limit; nil when n is absent.
func share(n, limit int64) *float64 {
	if n < 0 || limit <= 0 {
		return nil
	}
	v := float64(n) / float64(limit)
	return &v
}

// usage is a run's cgroup usage as a plotter.XYer, over limit when limit > 0.
type usage struct {
	s     []rundir.Sample
	limit int64
}

func (u usage) Len() int { return len(u.s) }

func (u usage) XY(i int) (float64, float64) {
	v := u.s[i].CgroupUsage
	switch {
	case v < 0:
		return u.s[i].T, math.NaN()
	case u.limit > 0:
		return u.s[i].T, float64(v) / float64(u.limit)
	}
	return u.s[i].T, float64(v)
}

// curveOf decimates a run's usage curve to curveColumns columns.
func curveOf(s []rundir.Sample, limit int64) plotter.XYs {
	if len(s) == 0 {
		return nil
	}
	return report.Envelope(usage{s, limit}, s[0].T, s[len(s)-1].T, curveColumns)
}
