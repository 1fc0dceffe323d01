package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
	"github.com/memstorm/memstorm/units"
)

// plannedRun is one scenario under one allocator.
type plannedRun struct {
	sc        *scenarios.Scenario
	allocator string
	dir       string
}

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("run", "[flags] SCENARIO...", stderr)
	out := fs.String("out", "", "run directory (default runs/<timestamp>-<scenario>/); with several runs, the directory holding one per run and the comparison")
	allocator := fs.String("allocator", "", "malloc implementation for the worker: glibc, jemalloc, tcmalloc, mimalloc, all, a comma-separated list, or a library path (default: the scenario's allocators:, else glibc)")
	limit := fs.String("limit", "", "hard memory limit of the run's cgroup, e.g. 256MiB (overrides the scenario's limit.max)")
	high := fs.String("high", "", "high (v2) / soft (v1) limit, e.g. 200MiB (overrides limit.high)")
	swap := fs.String("swap", "", "swap the run may use beyond the hard limit (overrides limit.swap; default 0 with a limit)")
	oomGroup := fs.Bool("oom-group", false, "set memory.oom.group (cgroup v2): an OOM kill takes every process of the run")
	cgroupMode := fs.String("cgroup", "auto", "memory cgroup: auto (a child cgroup, else memstorm's own), child, current (in-container: memstorm's own cgroup and its limit) or none")
	quiet := fs.Bool("quiet", false, "print only the final summary")
	junit := fs.String("junit", "", "write the expectations as JUnit XML to this file")
	align := fs.String("align", "", "with several runs: align the comparison at the start of this phase (default: at the start)")
	scale := fs.Float64("scale", 1, "multiply every byte target and limit of the scenarios by this factor (object sizes, counts and durations stay): try a big scenario small first")
	dryRun := fs.Bool("dry-run", false, "check the scenarios, flags and output directory, print what would run, run nothing")
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) == 0 {
		return exitUsage, usagef("no scenario given: name a file or a built-in (memstorm list)")
	}
	var lim scenarios.Limit
	for _, f := range []struct {
		name, val string
		dst       *scenarios.Size
	}{{"--limit", *limit, &lim.Max}, {"--high", *high, &lim.High}, {"--swap", *swap, &lim.Swap}} {
		if f.val == "" {
			continue
		}
		v, err := scenarios.ParseSize(f.val)
		if err != nil || v <= 0 {
			return exitUsage, usagef("%s %q: want a positive size like 256MiB", f.name, f.val)
		}
		*f.dst = v
	}
	lim.OOMGroup = *oomGroup

	if !(*scale > 0) {
		return exitUsage, usagef("--scale %v: want a positive factor", *scale)
	}
	var plan []plannedRun
	for _, arg := range args {
		sc, err := scenarios.Load(arg)
		if err != nil {
			return exitUsage, err
		}
		if *scale != 1 {
			sc.Scale(*scale)
		}
		allocs, err := allocatorsFor(*allocator, sc)
		if err != nil {
			return exitUsage, err
		}
		for _, a := range allocs {
			plan = append(plan, plannedRun{sc: sc, allocator: a})
		}
	}
	base := *out
	if base == "" {
		base = filepath.Join("runs", time.Now().Format("20060102-150405")+"-"+plan[0].sc.Name)
	}
	for i := range plan {
		plan[i].dir = base
		if len(plan) > 1 {
			plan[i].dir = filepath.Join(base, runDirName(plan[i], plan))
		}
		opt := stress.Options{Dir: plan[i].dir, Allocator: plan[i].allocator, Limit: &lim, Cgroup: *cgroupMode}
		if err := stress.Check(plan[i].sc, opt); err != nil {
			return exitUsage, err
		}
	}
	if ents, err := os.ReadDir(base); err == nil && len(ents) > 0 {
		return exitUsage, usagef("output directory %s exists and is not empty", base)
	}
	if *dryRun {
		for _, p := range plan {
			fmt.Fprintf(stdout, "would run %s (%d steps) under %s into %s\n", p.sc.Name, len(p.sc.Steps()), allocatorLabel(p.allocator), p.dir)
		}
		return exitOK, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return exitUsage, usagef("cannot create output directory %s: %v", base, unwrapPath(err))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := exitOK
	var dirs []string
	for _, p := range plan {
		if ctx.Err() != nil {
			break
		}
		opt := stress.Options{Dir: p.dir, Allocator: p.allocator, Limit: &lim, Cgroup: *cgroupMode}
		pr := newProgressPrinter(stdout, *quiet, p.sc.Name+" / "+allocatorLabel(p.allocator))
		opt.Progress = pr.update
		sum, err := stress.Run(ctx, p.sc, opt)
		pr.clear()
		if sum != nil {
			printSummary(stdout, p.dir, sum)
			dirs = append(dirs, p.dir)
			if !sum.Passed && code == exitOK {
				code = exitExpectation
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "memstorm run: %s: %v\n", p.sc.Name, err)
			code = exitHarness
			if sum == nil && errors.Is(err, stress.ErrUsage) {
				// Refused before anything ran: leave nothing behind.
				_ = os.Remove(base)
				return exitUsage, nil
			}
		}
	}
	if *junit != "" {
		if err := writeJUnit(*junit, dirs); err != nil {
			fmt.Fprintf(stderr, "memstorm run: %v\n", err)
			code = exitHarness
		}
	}
	if len(dirs) > 1 {
		if err := report.Compare(base, dirs, *align); err != nil {
			fmt.Fprintf(stderr, "memstorm run: comparing the runs: %v\n", err)
			code = exitHarness
		} else {
			fmt.Fprintf(stdout, "comparison: %s\n", filepath.Join(base, "compare.html"))
		}
	}
	return code, nil
}

// allocatorsFor expands --allocator (or the scenario's allocators: list).
func allocatorsFor(flagVal string, sc *scenarios.Scenario) ([]string, error) {
	var list []string
	switch {
	case flagVal == "all":
		list = stress.AllocatorNames()
	case flagVal != "":
		list = strings.Split(flagVal, ",")
	case len(sc.Allocators) > 0:
		list = sc.Allocators
	default:
		list = []string{"glibc"}
	}
	for i, a := range list {
		list[i] = strings.TrimSpace(a)
		if list[i] == "" {
			return nil, usagef("--allocator %q: empty allocator name", flagVal)
		}
	}
	return list, nil
}

func allocatorLabel(a string) string {
	if a == "" {
		return "glibc"
	}
	return filepath.Base(a)
}

func runDirName(p plannedRun, plan []plannedRun) string {
	scenarios := map[string]bool{}
	for _, q := range plan {
		scenarios[q.sc.Name] = true
	}
	name := allocatorLabel(p.allocator)
	if len(scenarios) > 1 {
		name = p.sc.Name + "-" + name
	}
	return name
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// printSummary prints the headline of one finished run.
func printSummary(w io.Writer, dir string, s *rundir.Summary) {
	fmt.Fprintf(w, "%s: %s", s.Scenario, s.Outcome)
	if s.Reason != "" {
		fmt.Fprintf(w, " (%s)", s.Reason)
	}
	fmt.Fprintf(w, "\n  allocator %s %s, %v, peak RSS %s, peak live %s",
		s.Allocator.Name, s.Allocator.Version, time.Duration(s.DurationS*float64(time.Second)).Round(time.Millisecond), units.FormatBytes(s.PeakRSSBytes), units.FormatBytes(s.PeakLiveBytes))
	if c := s.Cgroup; c != nil {
		fmt.Fprintf(w, "\n  cgroup v%d (%s) peak usage %s", c.Version, c.Mode, units.FormatBytes(c.PeakUsageBytes))
		if c.LimitBytes > 0 {
			fmt.Fprintf(w, " of limit %s (%.0f%%)", units.FormatBytes(c.LimitBytes),
				100*float64(c.PeakUsageBytes)/float64(c.LimitBytes))
		}
		fmt.Fprintf(w, ", OOM kills %d", c.OOMKills)
	}
	fmt.Fprintln(w)
	if n := len(s.Phases); n > 0 {
		last := s.Phases[n-1]
		fmt.Fprintf(w, "  at the end (%s): RSS %s, live %s", last.Name, units.FormatBytes(last.RSSBytes), units.FormatBytes(last.LiveBytes))
		if last.LiveBytes > 0 {
			fmt.Fprintf(w, ", RSS/live %.2f", float64(last.RSSBytes)/float64(last.LiveBytes))
		}
		fmt.Fprintln(w)
	}
	for _, e := range s.Expectations {
		mark := "PASS"
		if !e.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s (observed %s)\n", mark, e.Expr, e.Observed)
	}
	fmt.Fprintf(w, "  report: %s\n", filepath.Join(dir, rundir.ReportFile))
}
