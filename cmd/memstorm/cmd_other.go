package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/machine"
	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
	"github.com/memstorm/memstorm/units"
)

// listGroups are the uses `memstorm list` groups the built-ins by.
var listGroups = []struct{ title, about string }{
	{"Fragmentation", "how allocators hold and return memory; compare them with --allocator all"},
	{"Container limits", "what happens at a memory cgroup limit or an rlimit: OOM kills, ENOMEM, reclaim"},
	{"SRE checks", "what to check on every node of a fleet: run them with --bundle, merge the bundles with memstorm fleet"},
}

// cmdList lists the built-in scenarios grouped by use. The SRE checks
// (scenarios.IsSRECheck) come last; of the others, a scenario is about
// container limits when it sets a limit or an rlimit, or cannot run without
// a limit (scenarios.Scenario.NeedsLimit); the LIMIT column says which need
// one, and the limit they bring.
func cmdList(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("list", "", stderr)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) > 0 {
		return exitUsage, usagef("%s takes no arguments, got %q", "list", args)
	}
	type row struct{ name, limit, desc string }
	groups := make([][]row, len(listGroups))
	for _, in := range scenarios.Describe() {
		sc, err := scenarios.Load(in.Name)
		if err != nil {
			return exitHarness, fmt.Errorf("built-in scenario %s: %w", in.Name, err)
		}
		limit, own := "", ""
		if sc.Limit != nil && sc.Limit.Max > 0 {
			own = sc.Limit.Max.String()
		}
		switch {
		case sc.NeedsLimit() && own != "":
			limit = "needs a limit: has " + own
		case sc.NeedsLimit():
			limit = "needs --limit"
		case own != "":
			limit = "runs under " + own
		case sc.Rlimits != nil:
			limit = "sets an rlimit"
		}
		g := 0
		switch {
		case scenarios.IsSRECheck(in.Name):
			g = 2
		case sc.NeedsLimit() || own != "" || sc.Rlimits != nil:
			g = 1
		}
		groups[g] = append(groups[g], row{in.Name, limit, in.Description})
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	for i, g := range listGroups {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s: %s\n", g.title, g.about)
		for _, r := range groups[i] {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.name, r.limit, r.desc)
		}
	}
	fmt.Fprintln(tw, "\nmemstorm show NAME prints a scenario's YAML.")
	return exitOK, tw.Flush()
}

// cmdShow prints a built-in scenario's YAML as it is embedded, ready to be
// copied and edited.
func cmdShow(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("show", "NAME", stderr)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) != 1 {
		return exitUsage, usagef("want one built-in scenario name (memstorm list)")
	}
	b, err := scenarios.Read(args[0])
	if err != nil {
		return exitUsage, usagef("%v; memstorm list shows the built-ins", err)
	}
	_, err = stdout.Write(b)
	return exitOK, err
}

// cmdVersion prints the version from the build information Go records in
// the binary: the module version, and the VCS revision and time where the
// build had them.
func cmdVersion(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("version", "", stderr)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) > 0 {
		return exitUsage, usagef("%s takes no arguments, got %q", "version", args)
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	fmt.Fprint(stdout, versionText(bi))
	return exitOK, nil
}

// versionText is what memstorm version prints for bi (nil: a binary
// without build information).
func versionText(bi *debug.BuildInfo) string {
	if bi == nil {
		return "memstorm (no build information)\n"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "memstorm %s\n", v)
	set := map[string]string{}
	for _, s := range bi.Settings {
		set[s.Key] = s.Value
	}
	if rev := set["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "revision %s", rev)
		if t := set["vcs.time"]; t != "" {
			fmt.Fprintf(&b, ", committed %s", t)
		}
		if set["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	}
	goos, goarch := set["GOOS"], set["GOARCH"]
	fmt.Fprintf(&b, "built with %s", bi.GoVersion)
	if goos != "" && goarch != "" {
		fmt.Fprintf(&b, " for %s/%s", goos, goarch)
	}
	b.WriteString("\n")
	return b.String()
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
	if rundir.KilledWithContainer(&r.Run) {
		fmt.Fprintf(stdout, "report: %s/report.html (incomplete: %s)\n", dir, rundir.KilledWithContainerReason)
		return exitOK, nil
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

// cacheSize writes a cache size cpuid reported; 0 is one it did not.
func cacheSize(n int) string {
	if n <= 0 {
		return "not reported"
	}
	return units.FormatBytes(int64(n))
}
