package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// printSummary prints the headline of one finished run.
func printSummary(w io.Writer, dir string, s *rundir.Summary, renderErr error) {
	fmt.Fprintf(w, "%s: %s", s.Scenario, s.Outcome)
	if s.Reason != "" {
		fmt.Fprintf(w, " (%s)", s.Reason)
	}
	fmt.Fprintln(w)
	if k := s.Kubernetes; k != nil {
		fmt.Fprintf(w, "  %s\n", k.Line())
	}
	// The figures a limit applies to come first: the cgroup's usage, and
	// the anonymous memory the scenario allocated. RSS also counts the file
	// pages of memstorm's own binary, which the kernel may charge elsewhere
	// and which several worker processes share.
	if c := s.Cgroup; c != nil {
		printCgroup(w, c)
	}
	printSwap(w, s)
	if t := s.THP; t.Scenario != "" && t.Scenario != "host" {
		fmt.Fprintf(w, "  transparent huge pages %s for the worker (scenario thp: %s; host %s)\n", t.Effective, t.Scenario, t.Host)
	}
	rss := "RSS " + units.FormatBytes(s.PeakRSSBytes) + " with memstorm's own file pages"
	if s.Processes > 1 {
		rss = fmt.Sprintf("RSS %s summed over %d processes, their shared file pages counted in each", units.FormatBytes(s.PeakRSSBytes), s.Processes)
	}
	fmt.Fprintf(w, "  allocator %s %s, %v, peak anon %s (%s), peak live %s\n",
		s.Allocator.Name, s.Allocator.Version, time.Duration(s.DurationS*float64(time.Second)).Round(time.Millisecond),
		units.FormatBytes(s.PeakAnonBytes), rss, units.FormatBytes(s.PeakLiveBytes))
	if n := len(s.Phases); n > 0 {
		last := s.Phases[n-1]
		r, _ := units.Ratio(last.AnonBytes, last.LiveBytes)
		fmt.Fprintf(w, "  at the end (%s): anon %s, live %s, anon/live %s (RSS %s)\n", last.Name,
			units.FormatBytes(last.AnonBytes), units.FormatBytes(last.LiveBytes), units.FormatRatio(r), units.FormatBytes(last.RSSBytes))
	}
	for _, e := range s.Expectations {
		mark := "PASS"
		if !e.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s (observed %s)\n", mark, e.Expr, e.Observed)
	}
	for _, e := range s.HarnessErrors {
		fmt.Fprintf(w, "  ERROR in the record: %s\n", e)
	}
	if renderErr != nil {
		fmt.Fprintf(w, "  report: not written (%v)\n", renderErr)
		return
	}
	fmt.Fprintf(w, "  report: %s\n", filepath.Join(dir, rundir.ReportFile))
}

// printCgroup says what the cgroup counted during the run, each figure by
// its source: the worker processes the OOM killer killed (from their wait
// statuses, one oom-kill event each) apart from the kernel's own counters,
// which count kills, not processes.
func printCgroup(w io.Writer, c *rundir.CgroupSummary) {
	fmt.Fprintf(w, "  cgroup v%d (%s) peak usage %s", c.Version, c.Mode, units.FormatBytes(c.PeakUsageBytes))
	if lim, ok := c.Limit.Bytes(); ok && lim > 0 {
		fmt.Fprintf(w, " of limit %s (%.0f%%)", c.Limit, 100*float64(c.PeakUsageBytes)/float64(lim))
	}
	fmt.Fprintf(w, " (%s)", c.PeakSource)
	if c.OOMKilledProcesses == 0 && c.OOMKill == 0 && c.OOMGroupKill <= 0 && c.LifetimeEvents == nil && !units.Known(c.LifetimePeakUsageBytes) {
		fmt.Fprintf(w, ", no OOM kill, failcnt %d\n", c.Failcnt)
		return
	}
	fmt.Fprintln(w)
	if units.Known(c.LifetimePeakUsageBytes) {
		fmt.Fprintf(w, "    the peak is sampled: the kernel's, %s, is the cgroup's lifetime peak, earlier use included, and could not be reset for the run\n",
			units.FormatBytes(c.LifetimePeakUsageBytes))
	}
	if !units.Known(c.OOMKilledProcesses) {
		fmt.Fprintln(w, "    OOM kills not counted by this kernel")
	} else {
		fmt.Fprintf(w, "    worker processes killed by the OOM killer %d; kernel counters oom_kill %d", c.OOMKilledProcesses, c.OOMKill)
		if units.Known(c.OOMGroupKill) {
			fmt.Fprintf(w, ", oom_group_kill %d", c.OOMGroupKill)
		}
		if c.OOMKill > c.OOMKilledProcesses {
			fmt.Fprint(w, " (the kernel counts kill actions, not processes: a group kill can count a process twice)")
		}
		fmt.Fprintln(w)
	}
	if units.Known(c.Failcnt) {
		fmt.Fprintf(w, "    charges refused at the limit (failcnt) %d", c.Failcnt)
		if c.LifetimeEvents != nil {
			fmt.Fprintf(w, "; every count is the run's own, the cgroup's totals since it was made: failcnt %d, oom_kill %d",
				c.LifetimeEvents["failcnt"], c.LifetimeEvents["oom_kill"])
		}
		fmt.Fprintln(w)
	}
}

// printSwap warns when the run swapped: a limit on memory alone then lets
// the worker hold more than the limit, and the figures are of less than
// all it holds.
func printSwap(w io.Writer, s *rundir.Summary) {
	cg := int64(units.Absent)
	if s.Cgroup != nil {
		cg = s.Cgroup.PeakSwapBytes
	}
	if cg <= 0 && s.PeakSwapBytes <= 0 {
		return
	}
	fmt.Fprintf(w, "  WARNING: the run swapped: the workers' swap peaked at %s", units.FormatBytes(max(s.PeakSwapBytes, 0)))
	if cg >= 0 {
		fmt.Fprintf(w, ", the cgroup's at %s", units.FormatBytes(cg))
	}
	fmt.Fprintln(w, "; memory on swap is not in RSS or the cgroup's usage (see cgroup_swap_bytes in samples.csv)")
}
