package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/record"
	"github.com/memstorm/memstorm/units"
)

// cmdRecord runs a program under the recording shim and writes its trace.
// The program's exit code becomes memstorm's when it is not 0 (the trace is
// written either way); memstorm's own failures exit 3.
func cmdRecord(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("record", "[--out FILE] -- PROGRAM [ARGS...]", stderr)
	out := fs.String("out", "memstorm.trace", "the trace `FILE` to write (must not exist)")
	every := fs.Duration("sample-every", 0, "RSS sampling `INTERVAL` (default 5ms)")
	allocator := fs.String("allocator", "", "record the program under `NAME` (glibc, jemalloc, tcmalloc, mimalloc) or a library path")
	argv, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(argv) == 0 {
		return exitUsage, usagef("record needs a program: memstorm record [--out FILE] -- PROGRAM [ARGS...]")
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return exitUsage, usagef("record: %v", err)
	}
	if _, err := os.Lstat(*out); err == nil {
		return exitUsage, usagef("--out %s exists; record never overwrites a trace", *out)
	}
	choice, err := allocators.Resolve(*allocator)
	if err != nil {
		return exitUsage, usagef("--allocator: %v", err)
	}
	var env []string
	if choice.Preload != "" {
		env = append(env, "LD_PRELOAD="+choice.Preload)
	}
	// The program gets the terminal's signals; memstorm waits for it.
	signal.Ignore(syscall.SIGINT, syscall.SIGQUIT)
	defer signal.Reset(syscall.SIGINT, syscall.SIGQUIT)
	res, err := record.Run(context.Background(), record.Options{
		Out: *out, Argv: argv, SampleEvery: *every, Stdout: os.Stdout, Stderr: os.Stderr, Env: env,
	})
	if err != nil {
		return exitHarness, err
	}
	s := res.Summary
	fmt.Fprintf(stdout, "recorded %s: %d events (%d allocations) on %d threads in %v; %s (%.1f B/event)\n",
		*out, s.Events, s.Allocs, s.Threads, res.Wall.Round(1e6), units.FormatBytes(res.Bytes), float64(res.Bytes)/float64(max(s.Events, 1)))
	fmt.Fprintf(stdout, "peak live %s in %d objects; live at exit %s in %d objects; peak RSS (anon) %s, last %s\n",
		units.FormatBytes(int64(s.PeakLive)), s.PeakObjects, units.FormatBytes(int64(s.Live)), s.LiveObjects,
		units.FormatBytes(int64(s.PeakRSS)), units.FormatBytes(int64(s.LastRSS)))
	if l := res.Losses; l != (record.Losses{}) {
		fmt.Fprintf(stdout, "not in the trace: %d unwritten, %d unrecorded calls, %d frees of unknown blocks, %d allocations at live addresses, %d partial or foreign munmaps; %d records reordered in time\n",
			l.Unwritten, l.Unrecorded, l.UnknownFrees, l.ReusedLive, l.PartialUnmaps, l.Reordered)
	}
	switch {
	case res.Signal != "":
		return exitExpectation, fmt.Errorf("%s was killed by %s (the trace holds what it did until then)", argv[0], res.Signal)
	case res.ExitCode != 0:
		return exitExpectation, fmt.Errorf("%s exited with status %d (the trace holds what it did)", argv[0], res.ExitCode)
	}
	return exitOK, nil
}
