package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
)

// runFlags are the flags of memstorm run; validate has those that bear on
// the scenario (scenarioFlags).
type runFlags struct {
	out, allocator, limit, high, swap, cgroup, junit, align string
	bundle, node                                            string
	oomGroup, quiet, dryRun, riskHostOOM                    bool
	scale                                                   float64
	pick                                                    int
	timeout                                                 time.Duration
	given                                                   map[string]bool    // the flags the command line set
	onStart                                                 func(*stress.Plan) // called as each run starts (run --bundle)
}

func newRunFlags(stderr io.Writer) (*flag.FlagSet, *runFlags) {
	fs := newFlags("run", "[flags] SCENARIO...", stderr)
	f := &runFlags{}
	fs.StringVar(&f.out, "out", "", "run directory (default runs/<timestamp>-<scenario>/); with several runs, the directory holding one per run and the comparison")
	fs.StringVar(&f.allocator, "allocator", "", "malloc implementation for the worker: glibc, jemalloc, tcmalloc, mimalloc, all, a comma-separated list, or a library path (default: the scenario's allocators:, else glibc)")
	scenarioFlags(fs, f)
	fs.BoolVar(&f.oomGroup, "oom-group", false, "set memory.oom.group (cgroup v2): an OOM kill takes every process of the run")
	fs.BoolVar(&f.quiet, "quiet", false, "print only the final summary")
	fs.StringVar(&f.junit, "junit", "", "write the expectations as JUnit XML to this file")
	fs.StringVar(&f.align, "align", "", "with several runs: align the comparison at the start of this phase (default: at the start)")
	fs.DurationVar(&f.timeout, "timeout", 0, "end each run as interrupted after this `duration` (e.g. 10m), for CI: a stopped or stuck worker cannot hang the job")
	fs.BoolVar(&f.riskHostOOM, "risk-host-oom", false, "accept a limit above what the host has free (MemAvailable + SwapFree): the host's own OOM killer, not the run's, may then act")
	fs.IntVar(&f.pick, "pick", 0, "run only the run of this index, from 0, among those the scenarios and allocators name (scenario by scenario, allocators in order): a Kubernetes Indexed Job's $(JOB_COMPLETION_INDEX)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "check the scenarios, flags and output directory, print what would run, run nothing")
	bundleFlags(fs, f)
	return fs, f
}

// scenarioFlags defines the flags of run that change what a scenario
// asks for, which validate takes too: the limits, the cgroup mode and the
// scale.
func scenarioFlags(fs *flag.FlagSet, f *runFlags) {
	fs.StringVar(&f.limit, "limit", "", fmt.Sprintf("hard memory limit of the run's cgroup, %v to %v, e.g. 256MiB, or inherit: the limit of the cgroup memstorm runs in, a container's (overrides the scenario's limit.max)", scenarios.MinLimit, scenarios.MaxSize))
	fs.StringVar(&f.high, "high", "", fmt.Sprintf("high (v2) / soft (v1) limit, %v to %v, e.g. 200MiB (overrides limit.high)", scenarios.MinLimit, scenarios.MaxSize))
	fs.StringVar(&f.swap, "swap", "", "swap the run may use beyond the hard limit (overrides limit.swap; default 0 with a limit)")
	fs.StringVar(&f.cgroup, "cgroup", "auto", "memory cgroup: auto (a child cgroup, else memstorm's own), child, current (in-container: memstorm's own cgroup and its limit) or none")
	fs.Float64Var(&f.scale, "scale", 1, fmt.Sprintf("multiply every byte target and limit of the scenarios by this factor, %g to %g (object sizes, counts and durations stay): try a big scenario small first", scenarios.MinScale, scenarios.MaxScale))
}

// givenFlags lists the flags the command line set, so that an empty value
// (--limit=) is told from a flag left out.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	return given
}

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs, f := newRunFlags(stderr)
	rawArgs := append([]string(nil), args...)
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	f.given = givenFlags(fs)
	if len(args) == 0 {
		return exitUsage, usagef("no scenario given: name a file or a built-in (memstorm list)")
	}
	if f.bundle != "" {
		return runBundle(f, args, rawArgs, stdout, stderr)
	}
	plans, base, err := planRuns(f, args, invocation(rawArgs, f))
	if err != nil {
		return exitUsage, err
	}
	if f.dryRun {
		for _, p := range plans {
			fmt.Fprintf(stdout, "would run %s (%d steps) under %s into %s\n", p.Scenario.Name, p.Scenario.StepCount(), p.Allocator.Label, p.Dir)
		}
		return exitOK, nil
	}
	// From here a signal interrupts the runs rather than ending memstorm.
	ctx, sig, stop := signalContext()
	defer stop()
	if err := os.MkdirAll(base, 0o755); err != nil {
		return exitUsage, usagef("cannot create output directory %s: %v", base, unwrapPath(err))
	}
	return executeRuns(ctx, sig, plans, base, f, stdout, stderr)
}

// limitOverrides reads --limit, --high, --swap and --oom-group. A limit is
// at least scenarios.MinLimit, as in a scenario file (what the worker
// needs to start); swap is any positive size; all are at most
// scenarios.MaxSize. A flag given empty (--limit=) is an error, not a flag
// left out.
func limitOverrides(f *runFlags) (*scenarios.Limit, error) {
	var lim scenarios.Limit
	for _, fl := range []struct {
		name, val string
		dst       *scenarios.Size
		least     scenarios.Size
	}{
		{"limit", f.limit, &lim.Max, scenarios.MinLimit},
		{"high", f.high, &lim.High, scenarios.MinLimit},
		{"swap", f.swap, &lim.Swap, 1},
	} {
		if fl.val == "" && !f.given[fl.name] {
			continue
		}
		if fl.name == "limit" && fl.val == scenarios.Inherit {
			lim.Inherit = true
			continue
		}
		v, err := scenarios.ParseSize(fl.val)
		switch {
		case fl.val == "":
			return nil, usagef("--%s: want a size like 256MiB, got nothing", fl.name)
		case err != nil:
			return nil, usagef("--%s %q: %v", fl.name, fl.val, err)
		case v < fl.least && fl.least == 1:
			return nil, usagef("--%s %q: want a positive size like 256MiB", fl.name, fl.val)
		case v < fl.least:
			return nil, usagef("--%s %q: want a limit of at least %v (what the worker needs to start)", fl.name, fl.val, fl.least)
		}
		*fl.dst = v
	}
	lim.OOMGroup = f.oomGroup
	return &lim, nil
}

// checkScenario refuses, on the scenario and the flags alone, what a run
// of sc would be refused for: a --scale that takes a quantity out of its
// bounds, and no memory limit a cgroup enforces for a scenario that needs
// one (the rule stress.Prepare applies: a hard limit from the file or
// --limit, unless --cgroup none; or --cgroup current). validate reports
// the same; the host's part of Prepare's checks is left to run.
func checkScenario(sc *scenarios.Scenario, f *runFlags, lim *scenarios.Limit) error {
	if f.scale != 1 {
		if err := sc.CheckScale(f.scale); err != nil {
			return usagef("--scale %v: %v", f.scale, err)
		}
	}
	l, err := stress.LimitsOf(sc, lim)
	if err != nil {
		return err
	}
	return stress.CheckNeedsLimit(sc, l, f.cgroup)
}

// planRuns loads every scenario, expands the allocators and prepares one
// plan per run, each checked before anything is created. base is the
// output directory.
func planRuns(f *runFlags, args []string, inv rundir.Invocation) (plans []*stress.Plan, base string, err error) {
	lim, err := limitOverrides(f)
	if err != nil {
		return nil, "", err
	}
	if !(f.scale >= scenarios.MinScale && f.scale <= scenarios.MaxScale) {
		return nil, "", usagef("--scale %v: want a factor from %g to %g", f.scale, scenarios.MinScale, scenarios.MaxScale)
	}
	type one struct {
		sc        *scenarios.Scenario
		allocator string
	}
	var runs []one
	for _, arg := range args {
		sc, err := scenarios.Load(arg)
		if err != nil {
			return nil, "", err
		}
		if err := checkScenario(sc, f, lim); err != nil {
			return nil, "", err
		}
		if f.scale != 1 {
			sc.Scale(f.scale)
		}
		allocs, err := allocatorsFor(f.allocator, sc)
		if err != nil {
			return nil, "", err
		}
		for _, a := range allocs {
			runs = append(runs, one{sc, a})
		}
	}
	if f.given["pick"] {
		if f.pick < 0 || f.pick >= len(runs) {
			return nil, "", usagef("--pick %d: want an index from 0 to %d (the arguments name %d runs: scenarios × allocators)", f.pick, len(runs)-1, len(runs))
		}
		runs = runs[f.pick : f.pick+1]
	}
	base = f.out
	if base == "" {
		base = filepath.Join("runs", time.Now().Format("20060102-150405")+"-"+runs[0].sc.Name)
	}
	names := map[string]bool{}
	aligned := f.align == ""
	alignTo, _, _ := strings.Cut(f.align, "#") // a repetition, "grow#2", of phase grow
	for _, r := range runs {
		names[r.sc.Name] = true
		aligned = aligned || r.sc.HasPhase(alignTo)
	}
	if !aligned {
		return nil, "", usagef("--align %q: no run has a phase of that name", f.align)
	}
	used := map[string]int{}
	for _, r := range runs {
		dir := base
		if len(runs) > 1 {
			// Every run gets its own directory, also the same scenario twice.
			name := runDirName(r.sc.Name, r.allocator, len(names) > 1)
			if used[name]++; used[name] > 1 {
				name = fmt.Sprintf("%s-%d", name, used[name])
			}
			dir = filepath.Join(base, name)
		}
		p, err := stress.Prepare(r.sc, stress.Options{Dir: dir, Allocator: r.allocator, Limit: lim, Cgroup: f.cgroup, RiskHostOOM: f.riskHostOOM, Timeout: f.timeout, Invocation: inv})
		if err != nil {
			return nil, "", err
		}
		plans = append(plans, p)
	}
	if ents, err := os.ReadDir(base); err == nil && len(ents) > 0 {
		return nil, "", usagef("output directory %s exists and is not empty", base)
	}
	return plans, base, nil
}

// executeRuns runs the plans in turn until one is interrupted, then writes
// the JUnit file and the comparison.
func executeRuns(ctx context.Context, sig func() syscall.Signal, plans []*stress.Plan, base string, f *runFlags, stdout, stderr io.Writer) (code int, err error) {
	code = exitOK
	defer func() {
		// Interrupted by a signal: exit as shells and CI expect of a
		// process that a signal ended, 128 + its number (130 for Ctrl-C).
		if s := sig(); s != 0 {
			code = 128 + int(s)
		}
	}()
	var dirs []string
	for _, p := range plans {
		if ctx.Err() != nil {
			break
		}
		pr := newProgressPrinter(stdout, f.quiet, p.Scenario.Name+" / "+p.Allocator.Label)
		p.SetProgress(pr.update)
		p.SetWarn(func(note string) { fmt.Fprintf(stderr, "memstorm run: warning: %s\n", note) })
		if f.onStart != nil {
			p.SetOnStart(func() { f.onStart(p) })
		}
		sum, err := p.Run(ctx)
		pr.clear()
		if sum != nil {
			rerr := report.Render(p.Dir)
			printSummary(stdout, p.Dir, sum, rerr)
			if rerr != nil {
				err = errors.Join(err, fmt.Errorf("rendering the report of %s: %w", p.Dir, rerr))
			}
			dirs = append(dirs, p.Dir)
			if !sum.Passed && code == exitOK {
				code = exitExpectation
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "memstorm run: %s: %v\n", p.Scenario.Name, err)
			code = exitHarness
			if sum == nil && errors.Is(err, stress.ErrUsage) {
				// Refused before anything ran: leave nothing behind.
				_ = os.Remove(base)
				return exitUsage, nil
			}
		}
	}
	if len(dirs) == 0 && ctx.Err() != nil {
		// A signal before the first run: leave no empty directory.
		_ = os.Remove(base)
		fmt.Fprintf(stderr, "memstorm run: %v before a run started: nothing was run\n", context.Cause(ctx))
	}
	if f.junit != "" {
		if err := writeJUnit(f.junit, dirs); err != nil {
			fmt.Fprintf(stderr, "memstorm run: %v\n", err)
			code = exitHarness
		}
	}
	if err := replayTable(plans, dirs, base, stdout); err != nil {
		fmt.Fprintf(stderr, "memstorm run: the replay table: %v\n", err)
		code = exitHarness
	}
	if len(dirs) > 1 {
		if err := report.Compare(base, dirs, f.align); err != nil {
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
		list = allocators.Names()
	case flagVal != "":
		list = strings.Split(flagVal, ",")
	case len(sc.Allocators) > 0:
		list = sc.Allocators
	default:
		list = []string{allocators.Glibc}
	}
	for i, a := range list {
		list[i] = strings.TrimSpace(a)
		if list[i] == "" {
			return nil, usagef("--allocator %q: empty allocator name", flagVal)
		}
	}
	return list, nil
}

// runDirName names one run's directory among several: the allocator, and
// the scenario first when several scenarios run.
func runDirName(scenario, allocator string, several bool) string {
	name := allocators.Glibc
	if allocator != "" {
		name = filepath.Base(allocator)
	}
	if several {
		name = scenario + "-" + name
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
