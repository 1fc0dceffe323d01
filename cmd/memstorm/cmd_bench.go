package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/alloc/cref"
	"github.com/memstorm/memstorm/bench"
)

// cmdBench measures memstorm against plain C, mmap(MAP_POPULATE) and
// stress-ng (docs/PERFORMANCE.md). It exits 1 when a figure misses its goal.
func cmdBench(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("bench", "[--json]", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object (figures by name, details, machine) instead of the table")
	reps := fs.Int("reps", 5, "repetitions per figure (the median is reported, with min and max)")
	only := fs.String("only", "", "comma-separated figures to measure (JSON names); the others are reported as skipped")
	scale := fs.Float64("scale", 1, "size factor: 1 fills 1 GiB and renders 1M samples (with --fidelity: 1 is the built-ins' 256 MiB)")
	fidelity := fs.Bool("fidelity", false, "run the fidelity suite instead: memstorm's anon at every phase end against a plain-C twin, per built-in and allocator")
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) != 0 || *reps < 1 || !(*scale > 0) {
		return exitUsage, usagef("usage: memstorm bench [--json] [--reps N] [--scale F] [--only FIGURE,...]")
	}
	var onlyList []string
	if *only != "" {
		onlyList = strings.Split(*only, ",")
		if err := bench.CheckOnly(onlyList); err != nil {
			return exitUsage, usagef("--only: %v", err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return exitHarness, fmt.Errorf("finding memstorm's own executable: %w", err)
	}
	dir, err := os.MkdirTemp("", "memstorm-bench-")
	if err != nil {
		return exitHarness, err
	}
	defer os.RemoveAll(dir)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *fidelity {
		return benchFidelity(ctx, dir, exe, *scale, *asJSON, stdout)
	}
	r, err := bench.Run(ctx, bench.Config{Scale: *scale, Reps: *reps, Dir: dir, Executable: exe, Log: stderr, Only: onlyList})
	if err != nil {
		return exitHarness, err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return exitHarness, err
		}
	} else if err := bench.WriteTable(stdout, r); err != nil {
		return exitHarness, err
	}
	if failed := r.Failed(); len(failed) > 0 {
		return exitExpectation, fmt.Errorf("goal missed: %s", strings.Join(failed, ", "))
	}
	return exitOK, nil
}

// benchFidelity runs the fidelity suite (bench.Fidelity) at scale and
// prints its table; exit 1 when a phase end is outside the tolerance.
func benchFidelity(ctx context.Context, dir, exe string, scale float64, asJSON bool, stdout io.Writer) (int, error) {
	bin, err := cref.Build(dir)
	if err != nil {
		return exitHarness, err
	}
	var allocs []string
	for _, a := range allocators.Names() {
		if _, err := allocators.Resolve(a); err == nil {
			allocs = append(allocs, a)
		}
	}
	rows, err := bench.Fidelity(ctx, bench.FidelityScenarios, allocs, scale, filepath.Join(dir, "runs"), bin, exe)
	if err != nil {
		return exitHarness, err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return exitHarness, err
		}
	} else {
		fmt.Fprint(stdout, bench.FormatFidelity(rows))
	}
	for _, r := range rows {
		if !r.Within {
			return exitExpectation, fmt.Errorf("fidelity: %s under %s at the end of %s is outside %.0f%% of the C twin", r.Scenario, r.Allocator, r.Phase, 100*bench.FidelityTolerance)
		}
	}
	return exitOK, nil
}
