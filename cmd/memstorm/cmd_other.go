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
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
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

// cmdValidate checks scenario files as run would, without running them:
// the file alone (its grammar and values), and what run would refuse on
// the scenario's grounds given the flags that bear on it (--limit, --high,
// --swap, --cgroup, --scale): a scenario that needs a memory limit and has
// none is refused, as run refuses it, until the file or a flag supplies
// one. The host (allocator libraries, the cgroup, memory available) is
// not checked: run checks it when it runs.
func cmdValidate(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("validate", "[flags] FILE...", stderr)
	f := &runFlags{}
	scenarioFlags(fs, f)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	f.given = givenFlags(fs)
	if len(args) == 0 {
		return exitUsage, usagef("no scenario file given")
	}
	lim, err := limitOverrides(f)
	if err != nil {
		return exitUsage, err
	}
	if !(f.scale >= scenarios.MinScale && f.scale <= scenarios.MaxScale) {
		return exitUsage, usagef("--scale %v: want a factor from %g to %g", f.scale, scenarios.MinScale, scenarios.MaxScale)
	}
	switch f.cgroup {
	case stress.CgroupAuto, stress.CgroupChild, stress.CgroupCurrent, stress.CgroupNone:
	default:
		return exitUsage, usagef("--cgroup %q: want auto, child, current or none", f.cgroup)
	}
	code := exitOK
	for _, arg := range args {
		sc, err := scenarios.Load(arg)
		if err == nil {
			err = checkScenario(sc, f, lim)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			code = exitUsage
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s, %d steps)\n", arg, sc.Name, sc.StepCount())
	}
	return code, nil
}

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
	if _, err := os.Stat(dir + "/summary.json"); err != nil {
		return exitUsage, usagef("%s is not a memstorm run directory (no summary.json)", dir)
	}
	if err := report.Render(dir); err != nil {
		return exitHarness, err
	}
	fmt.Fprintf(stdout, "report: %s/report.html\n", dir)
	return exitOK, nil
}

func cmdCompare(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("compare", "[flags] RUNDIR...", stderr)
	out := fs.String("out", "compare", "directory for compare.html and its figures")
	align := fs.String("align", "", "align the runs at the start of this phase (default: at their start)")
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) < 2 {
		return exitUsage, usagef("want at least two run directories")
	}
	for _, d := range args {
		if _, err := os.Stat(d + "/summary.json"); err != nil {
			return exitUsage, usagef("%s is not a memstorm run directory (no summary.json)", d)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return exitUsage, usagef("cannot create %s: %v", *out, unwrapPath(err))
	}
	if err := report.Compare(*out, args, *align); err != nil {
		return exitHarness, err
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
	quota := "none"
	if m.CPUQuota > 0 {
		quota = fmt.Sprintf("%.2g CPUs", m.CPUQuota)
	}
	fmt.Fprintf(tw, "usable CPUs\t%d (affinity mask), cgroup CPU quota %s\n", m.UsableCPUs, quota)
	fmt.Fprintf(tw, "cpuid\t%d physical cores, %d logical, as the processor (or hypervisor) reports the package\n", m.PhysicalCores, m.LogicalCores)
	fmt.Fprintf(tw, "caches (cpuid)\tL1d %s, L2 %s, L3 %s\n", cacheSize(m.L1DBytes), cacheSize(m.L2Bytes), cacheSize(m.L3Bytes))
	fmt.Fprintf(tw, "features\t%v\n", m.Features)
	fmt.Fprintf(tw, "kernel\t%s\n", m.Kernel)
	fmt.Fprintf(tw, "memory\t%s, page size %d\n", units.FormatBytes(m.MemTotalBytes), m.PageSize)
	fmt.Fprintf(tw, "THP\t%s\n", m.THP)
	fmt.Fprintf(tw, "overcommit\t%d\n", m.Overcommit)
	fmt.Fprintf(tw, "cgroup\tv%d memory controller\n", m.CgroupVersion)
	return exitOK, tw.Flush()
}

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
	n, err := host.CleanupStale()
	if err != nil {
		return exitHarness, err
	}
	fmt.Fprintf(stdout, "removed %d stale memstorm cgroup(s)\n", n)
	return exitOK, nil
}

// cacheSize writes a cache size cpuid reported; 0 is one it did not.
func cacheSize(n int) string {
	if n <= 0 {
		return "not reported"
	}
	return units.FormatBytes(int64(n))
}
