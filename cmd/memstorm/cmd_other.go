package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/machine"
	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
)

func cmdList(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("list", "", stderr)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) > 0 {
		return exitUsage, usagef("%s takes no arguments, got %q", "list", args)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	for _, in := range scenarios.Describe() {
		fmt.Fprintf(tw, "%s\t%s\n", in.Name, in.Description)
	}
	return exitOK, tw.Flush()
}

func cmdValidate(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("validate", "FILE...", stderr)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) == 0 {
		return exitUsage, usagef("no scenario file given")
	}
	code := exitOK
	for _, arg := range args {
		sc, err := scenarios.Load(arg)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			code = exitUsage
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s, %d steps)\n", arg, sc.Name, len(sc.Steps()))
	}
	return code, nil
}

// cmdReport re-renders a run's report. A run directory without
// summary.json (the supervisor was killed) is rendered from what was
// recorded and marked incomplete; that is still exit 0, since the report
// was written: the run's own verdict is the exit code of its `run`.
func cmdReport(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("report", "DIR", stderr)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) != 1 {
		return exitUsage, usagef("want exactly one run directory")
	}
	dir := args[0]
	r, err := report.Load(dir)
	if err != nil {
		return exitCodeOf(err), err
	}
	if err := r.Render(); err != nil {
		return exitHarness, err
	}
	if r.Incomplete {
		fmt.Fprintf(stdout, "report: %s/report.html (incomplete: %s)\n", dir, rundir.IncompleteReason)
		return exitOK, nil
	}
	fmt.Fprintf(stdout, "report: %s/report.html\n", dir)
	return exitOK, nil
}

func cmdCompare(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("compare", "[flags] RUNDIR...", stderr)
	out := fs.String("out", "compare", "`DIR` for compare.html, compare.json, matrix.md and the figures")
	align := fs.String("align", "", "align the runs at the start of `PHASE` (default: at their start)")
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) < 2 {
		return exitUsage, usagef("want at least two run directories")
	}
	runs := make([]*report.Run, len(args))
	for i, d := range args {
		if runs[i], err = report.Load(d); err != nil {
			return exitCodeOf(err), err
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return exitUsage, usagef("cannot create %s: %v", *out, unwrapPath(err))
	}
	if err := report.CompareRuns(*out, runs, *align); err != nil {
		return exitCodeOf(err), err
	}
	for _, r := range runs {
		if r.Incomplete {
			fmt.Fprintf(stdout, "%s is incomplete: %s\n", r.Dir, rundir.IncompleteReason)
		}
	}
	fmt.Fprintf(stdout, "comparison: %s/compare.html\n", *out)
	return exitOK, nil
}

func cmdSysinfo(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("sysinfo", "[--json]", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) > 0 {
		return exitUsage, usagef("%s takes no arguments, got %q", "sysinfo", args)
	}
	m, err := machine.Describe(cgroup.DefaultRoots())
	if err != nil {
		return exitHarness, err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return exitOK, enc.Encode(m)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "CPU\t%s\n", m.CPUBrand)
	fmt.Fprintf(tw, "cores\t%d physical, %d logical\n", m.PhysicalCores, m.LogicalCores)
	fmt.Fprintf(tw, "caches\tL1d %s, L2 %s, L3 %s\n", units.FormatBytes(int64(m.L1DBytes)), units.FormatBytes(int64(m.L2Bytes)), units.FormatBytes(int64(m.L3Bytes)))
	fmt.Fprintf(tw, "features\t%v\n", m.Features)
	fmt.Fprintf(tw, "kernel\t%s\n", m.Kernel)
	fmt.Fprintf(tw, "memory\t%s, page size %d\n", units.FormatBytes(m.MemTotalBytes), m.PageSize)
	fmt.Fprintf(tw, "THP\t%s\n", m.THP)
	fmt.Fprintf(tw, "overcommit\t%d\n", m.Overcommit)
	fmt.Fprintf(tw, "cgroup\tv%d memory controller\n", m.CgroupVersion)
	return exitOK, tw.Flush()
}

// cmdCleanup removes the child cgroups a killed memstorm left behind, and
// only those (cgroup.Host.Cleanup): it lists each one it removed and each
// cgroup named like memstorm's that it left alone, with why. Leaving a
// stranger's cgroup is not a failure: exit 0.
func cmdCleanup(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("cleanup", "", stderr)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) > 0 {
		return exitUsage, usagef("%s takes no arguments, got %q", "cleanup", args)
	}
	host, err := cgroup.Detect(cgroup.DefaultRoots())
	if err != nil {
		return exitHarness, err
	}
	c, err := host.Cleanup()
	for _, r := range c.Removed {
		fmt.Fprintf(stdout, "removed %s (made by memstorm pid %d, gone", r.Path, r.CreatorPID)
		if len(r.Killed) > 0 {
			fmt.Fprintf(stdout, "; killed worker pids %v", r.Killed)
		}
		fmt.Fprintln(stdout, ")")
	}
	for _, l := range c.Left {
		fmt.Fprintf(stdout, "left alone %s: %s\n", l.Path, l.Why)
	}
	fmt.Fprintf(stdout, "removed %d stale memstorm cgroup(s), left %d alone", len(c.Removed), len(c.Left))
	if c.Records > 0 {
		fmt.Fprintf(stdout, ", removed %d ownership record(s) of cgroups already gone", c.Records)
	}
	fmt.Fprintln(stdout)
	if err != nil {
		return exitHarness, err
	}
	return exitOK, nil
}
