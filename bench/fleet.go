package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/memstorm/memstorm/bundle"
	"github.com/memstorm/memstorm/fleet"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
)

// fleetBundles is how many bundles fleet_seconds_1000_bundles merges at scale 1.
const fleetBundles = 1000

// fleetScenarios are the real runs every generated bundle carries, at
// fleetRunScale: an OOM kill, five bursts to 90% of a limit, and a
// fragmentation run without a limit.
var fleetScenarios = []string{"oom-at-limit", "burst-to-90", "every-other"}

const fleetRunScale = 0.125

// fleet: seconds for what `memstorm fleet` does with 1,000 bundle
// tarballs gathered in one directory: find and unpack them, load every
// run (summary, samples, events), merge, and write fleet.json, fleet.md,
// fleet.html and one overlay figure per scenario. The bundles are copies
// of one bundle of real runs (fleetScenarios, run here), each with its
// own node name, as `memstorm run --bundle` packs them.
func (b *bench) fleet(ctx context.Context, r *Result) error {
	n := max(int(fleetBundles*b.cfg.Scale), 10)
	src := filepath.Join(b.cfg.Dir, "fleet-src")
	defer os.RemoveAll(src)
	m := &bundle.Manifest{Node: "bench", Started: time.Now().UTC().Format(time.RFC3339), Command: []string{"memstorm", "bench"}}
	m.Host.Hostname, _ = os.Hostname()
	m.Host.Machine = r.Machine
	for _, name := range fleetScenarios {
		// The built-in by name, whatever the working directory holds.
		text, err := scenarios.Read(name)
		if err != nil {
			return err
		}
		sc, err := scenarios.Parse("builtin:"+name, text)
		if err != nil {
			return err
		}
		sc.Scale(fleetRunScale)
		rel := bundle.RunsDir + "/" + name
		plan, err := stress.Prepare(sc, stress.Options{Dir: filepath.Join(src, rel), Cgroup: stress.CgroupChild})
		if err != nil {
			return err
		}
		sum, err := plan.Run(ctx)
		if err != nil {
			return fmt.Errorf("running %s for the bundles: %w", name, err)
		}
		m.Runs = append(m.Runs, bundle.Run{Dir: rel, Scenario: name, Allocator: sum.Allocator.Name, Outcome: sum.Outcome, Passed: sum.Passed})
	}
	m.Finished = time.Now().UTC().Format(time.RFC3339)
	gathered := filepath.Join(b.cfg.Dir, "fleet-bundles")
	defer os.RemoveAll(gathered)
	if err := os.MkdirAll(gathered, 0o755); err != nil {
		return err
	}
	for i := range n {
		m.Node = fmt.Sprintf("node-%04d", i)
		if err := bundle.Write(src, m); err != nil {
			return err
		}
		if err := bundle.Pack(src, filepath.Join(gathered, "memstorm-"+m.Node+".tar.gz")); err != nil {
			return err
		}
	}
	if st, err := os.Stat(filepath.Join(gathered, "memstorm-node-0000.tar.gz")); err == nil {
		r.Detail.FleetTarBytes = st.Size()
	}
	out := filepath.Join(b.cfg.Dir, "fleet-report")
	defer os.RemoveAll(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	t0 := time.Now()
	f, err := fleet.Load([]string{gathered}, 0)
	if err != nil {
		return err
	}
	if err := f.Write(out); err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	if f.Bundles != n || len(f.Rows) != n*len(fleetScenarios) {
		return fmt.Errorf("fleet merged %d bundles and %d runs, want %d and %d", f.Bundles, len(f.Rows), n, n*len(fleetScenarios))
	}
	r.FleetSeconds1000 = secs
	r.Detail.FleetBundles, r.Detail.FleetRuns = f.Bundles, len(f.Rows)
	return nil
}
