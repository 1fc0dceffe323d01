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
	// The figures a limit applies to come first: the cgroup's usage, and
	// the anonymous memory the scenario allocated. RSS also counts the file
	// pages of memstorm's own binary, which the kernel may charge elsewhere
	// and which several worker processes share.
	if c := s.Cgroup; c != nil {
		fmt.Fprintf(w, "  cgroup v%d (%s) peak usage %s", c.Version, c.Mode, units.FormatBytes(c.PeakUsageBytes))
		if lim, ok := c.Limit.Bytes(); ok && lim > 0 {
			fmt.Fprintf(w, " of limit %s (%.0f%%)", c.Limit, 100*float64(c.PeakUsageBytes)/float64(lim))
		}
		if units.Known(c.OOMKills) {
			fmt.Fprintf(w, ", OOM kills %d", c.OOMKills)
		} else {
			fmt.Fprint(w, ", OOM kills not counted by this kernel")
		}
		fmt.Fprintln(w)
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
