package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/memstorm/memstorm/fleet"
)

// cmdFleet merges result bundles into one fleet report (package fleet).
// A corrupt bundle, tarball or run is bad input: exit 2 naming the file.
// The report is written whatever the verdicts; the exit code says whether
// every run passed (0) or not (1).
func cmdFleet(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("fleet", "[flags] BUNDLE...", stderr)
	out := fs.String("out", "fleet", "`DIR` for fleet.html, fleet.md, fleet.json and the figures")
	args, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(args) == 0 {
		return exitUsage, usagef("want at least one bundle: a bundle directory, a tarball, or a directory holding them (memstorm run --bundle writes them)")
	}
	t0 := time.Now()
	f, err := fleet.Load(args, 0)
	if err != nil {
		return exitCodeOf(err), err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return exitUsage, usagef("cannot create %s: %v", *out, unwrapPath(err))
	}
	if err := f.Write(*out); err != nil {
		return exitHarness, err
	}
	fmt.Fprintf(stdout, "%d bundles, %d nodes, %d runs: %d pass, %d fail, %d error, %d killed with the container, %d incomplete (%.2fs)\n",
		f.Bundles, len(f.Nodes), len(f.Rows), f.Verdicts[fleet.VerdictPass], f.Verdicts[fleet.VerdictFail],
		f.Verdicts[fleet.VerdictError], f.Verdicts[fleet.VerdictKilled], f.Verdicts[fleet.VerdictIncomplete], time.Since(t0).Seconds())
	if f.Worst != "" {
		fmt.Fprintf(stdout, "worst node: %s\n", f.Worst)
	}
	fmt.Fprintf(stdout, "fleet report: %s\n", filepath.Join(*out, fleet.HTMLFile))
	if f.Verdicts[fleet.VerdictPass] != len(f.Rows) {
		return exitExpectation, nil
	}
	return exitOK, nil
}
