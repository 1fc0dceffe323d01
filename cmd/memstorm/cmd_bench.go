package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/memstorm/memstorm/bench"
)

// cmdBench measures memstorm against plain C, mmap(MAP_POPULATE) and
// stress-ng (docs/PERFORMANCE.md). It exits 1 when a figure misses its goal.
func cmdBench(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("bench", "[--json]", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object (figures by name, details, machine) instead of the table")
	reps := fs.Int("reps", 3, "side-by-side repetitions per ratio (the median is reported)")
	scale := fs.Float64("scale", 1, "size factor: 1 fills 1 GiB and renders 1M samples")
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) != 0 || *reps < 1 || !(*scale > 0) {
		return exitUsage, usagef("usage: memstorm bench [--json] [--reps N] [--scale F]")
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
	r, err := bench.Run(ctx, bench.Config{Scale: *scale, Reps: *reps, Dir: dir, Executable: exe, Log: stderr})
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
