package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/memstorm/memstorm/bundle"
	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/machine"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/stress"
)

// bundleFlags defines run's --bundle and --node.
func bundleFlags(fs *flag.FlagSet, f *runFlags) {
	fs.StringVar(&f.bundle, "bundle", "", "write the runs as one result bundle into this results `DIR` (a Sonobuoy plugin's, e.g. /tmp/sonobuoy/results): DIR/memstorm-NODE/ with bundle.json, junit.xml and the run directories, DIR/memstorm-NODE.tar.gz, and DIR/done naming the tarball; memstorm fleet merges bundles")
	fs.StringVar(&f.node, "node", "", "with --bundle: the `NAME` of the node the bundle is for (default: $NODE_NAME, as the Kubernetes downward API sets it from spec.nodeName, else the host name)")
}

// bundleNode is the node a bundle is named for: --node, $NODE_NAME or
// the host name.
func bundleNode(f *runFlags) (string, error) {
	node := f.node
	if node == "" {
		node = os.Getenv("NODE_NAME")
	}
	if node == "" {
		h, err := os.Hostname()
		if err != nil {
			return "", usagef("--bundle: no --node given, no $NODE_NAME, and no host name: %v", err)
		}
		node = h
	}
	if err := bundle.ValidNode(node); err != nil {
		return "", usagef("--node: %v", err)
	}
	return node, nil
}

// runBundle is memstorm run --bundle DIR: the runs go into a bundle
// (package bundle) below DIR, which is then packed and marked done.
func runBundle(f *runFlags, args, rawArgs []string, stdout, stderr io.Writer) (int, error) {
	switch {
	case f.given["out"]:
		return exitUsage, usagef("--bundle and --out: the bundle holds the run directories (DIR/memstorm-NODE/runs)")
	case f.given["junit"]:
		return exitUsage, usagef("--bundle and --junit: the bundle holds the JUnit file (DIR/memstorm-NODE/junit.xml)")
	}
	node, err := bundleNode(f)
	if err != nil {
		return exitUsage, err
	}
	pod := os.Getenv("POD_NAME")
	name := "memstorm-" + node
	if pod != "" && pod != node && bundle.ValidNode(pod) == nil {
		name += "-" + pod // several pods on one node write to one volume
	}
	results := f.bundle
	root := filepath.Join(results, name)
	tarball := root + ".tar.gz"
	for _, p := range []string{tarball, filepath.Join(results, bundle.DoneFile)} {
		if _, err := os.Lstat(p); err == nil {
			return exitUsage, usagef("--bundle %s: %s exists already: a results directory holds one bundle", results, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return exitUsage, usagef("--bundle %s: %v", results, unwrapPath(err))
		}
	}
	if ents, err := os.ReadDir(root); err == nil && len(ents) > 0 {
		return exitUsage, usagef("--bundle %s: %s exists and is not empty", results, root)
	}
	f.out = filepath.Join(root, bundle.RunsDir)
	f.junit = filepath.Join(root, bundle.JUnitFile)
	started := time.Now().UTC()
	plans, base, err := planRuns(f, args, invocation(rawArgs, f))
	if err != nil {
		return exitUsage, err
	}
	if f.dryRun {
		for _, p := range plans {
			fmt.Fprintf(stdout, "would run %s (%d steps) under %s into %s\n", p.Scenario.Name, p.Scenario.StepCount(), p.Allocator.Label, p.Dir)
		}
		fmt.Fprintf(stdout, "would write the bundle %s, %s and %s\n", root, tarball, filepath.Join(results, bundle.DoneFile))
		return exitOK, nil
	}
	// From here a signal interrupts the runs rather than ending memstorm.
	ctx, sig, stop := signalContext()
	defer stop()
	if err := os.MkdirAll(base, 0o755); err != nil {
		return exitUsage, usagef("cannot create the bundle directory %s: %v", base, unwrapPath(err))
	}
	m := &bundle.Manifest{Node: node, Pod: pod, Started: started.Format(time.RFC3339),
		Command: append([]string{"memstorm", "run"}, rawArgs...)}
	m.Host.Hostname, _ = os.Hostname()
	mach, merr := machine.Describe(cgroup.DefaultRoots())
	m.Host.Machine = mach
	f.onStart = provisional(root, m, stderr)
	code, err := executeRuns(ctx, sig, plans, base, f, stdout, stderr)
	if err != nil || code == exitUsage {
		_ = os.Remove(root) // refused before anything ran: leave nothing
		return code, err
	}
	m.ExitCode, m.Provisional, m.Runs = code, false, nil
	if merr != nil {
		fmt.Fprintf(stderr, "memstorm run: describing the host for the bundle: %v\n", merr)
		code = exitHarness
	}
	if _, err := os.Lstat(f.junit); err == nil {
		m.JUnit = bundle.JUnitFile
	}
	for _, p := range plans {
		r, ok := bundleRun(root, p.Dir, p.Scenario.Name, p.Allocator.Label)
		if ok {
			m.Runs = append(m.Runs, r)
		}
	}
	m.Finished = time.Now().UTC().Format(time.RFC3339)
	if err := errors.Join(bundle.Write(root, m), bundle.Pack(root, tarball)); err != nil {
		fmt.Fprintf(stderr, "memstorm run: %v\n", err)
		return exitHarness, nil
	}
	if err := bundle.WriteDone(results, tarball); err != nil {
		fmt.Fprintf(stderr, "memstorm run: %v\n", err)
		return exitHarness, nil
	}
	fmt.Fprintf(stdout, "bundle: %s (node %s, %d runs), packed as %s; %s names it\n", root, node, len(m.Runs), tarball, filepath.Join(results, bundle.DoneFile))
	return code, nil
}

// bundleRun describes the run directory dir of a bundle at root; false
// when the run left nothing (it was never started).
func bundleRun(root, dir, scenario, allocator string) (bundle.Run, bool) {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return bundle.Run{}, false
	}
	r := bundle.Run{Dir: filepath.ToSlash(rel), Scenario: scenario, Allocator: allocator}
	if s, err := rundir.ReadSummary(filepath.Join(dir, rundir.SummaryFile)); err == nil {
		r.Outcome, r.Passed = s.Outcome, s.Passed
		if s.Allocator.Name != "" {
			r.Allocator = s.Allocator.Name
		}
		return r, true
	}
	_, err = os.Lstat(filepath.Join(dir, rundir.SamplesFile))
	return r, err == nil
}

// provisional is the function called as each run of a bundle starts: it
// writes bundle.json listing the runs so far, marked provisional, with the
// exit code of a container killed before memstorm finishes (137), so that
// a bundle whose memstorm was killed with its container (an OOM group
// kill: memory.oom.group=1) is still a bundle that memstorm fleet reads.
// runBundle replaces it when the runs are over.
func provisional(root string, m *bundle.Manifest, stderr io.Writer) func(p *stress.Plan) {
	return func(p *stress.Plan) {
		rel, err := filepath.Rel(root, p.Dir)
		if err == nil {
			pm := *m
			m.Runs = append(m.Runs, bundle.Run{Dir: filepath.ToSlash(rel), Scenario: p.Scenario.Name, Allocator: p.Allocator.Label})
			pm.Runs, pm.Provisional, pm.ExitCode = m.Runs, true, rundir.ExitKilled
			err = bundle.Write(root, &pm)
		}
		if err != nil {
			fmt.Fprintf(stderr, "memstorm run: the provisional bundle manifest: %v\n", err)
		}
	}
}
