package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/bundle"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
)

const smallScenario = `
name: small
phases:
  - name: fill
    allocate: {size: {dist: uniform, min: 64, max: 4KiB}, until: {bytes: 8MiB}}
  - name: punch
    free: every-other
expect:
  phases:
    punch: live < 60% of fill.live
`

// TestRunBundleThenFleet: two nodes write their bundles as a Sonobuoy
// plugin would, and fleet merges what was gathered.
func TestRunBundleThenFleet(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "small.yaml", smallScenario)
	for _, node := range []string{"n1", "n2"} {
		results := filepath.Join(dir, "results-"+node)
		code, stdout, stderr := memstorm(t, "run", "--quiet", "--bundle", results, "--node", node, sc)
		if code != exitOK {
			t.Fatalf("run --bundle: exit %d\n%s\n%s", code, stdout, stderr)
		}
		root := filepath.Join(results, "memstorm-"+node)
		for _, f := range []string{bundle.ManifestFile, bundle.JUnitFile, "runs/summary.json", "runs/samples.csv"} {
			if _, err := os.Stat(filepath.Join(root, f)); err != nil {
				t.Errorf("bundle lacks %s: %v", f, err)
			}
		}
		// The provisional manifest written as the run started is replaced.
		if b, err := os.ReadFile(filepath.Join(root, bundle.ManifestFile)); err != nil || strings.Contains(string(b), "provisional") {
			t.Errorf("bundle.json after the runs (%v) still provisional:\n%s", err, b)
		}
		done, err := os.ReadFile(filepath.Join(results, bundle.DoneFile))
		if err != nil || string(done) != root+".tar.gz" || !filepath.IsAbs(string(done)) {
			t.Errorf("done holds %q (%v), want the tarball's absolute path %s", done, err, root+".tar.gz")
		}
		// A results directory holds one bundle.
		if code, _, stderr := memstorm(t, "run", "--quiet", "--bundle", results, "--node", node, sc); code != exitUsage || !strings.Contains(stderr, "exists already") {
			t.Errorf("a second bundle into %s: exit %d, %s", results, code, stderr)
		}
	}
	out := filepath.Join(dir, "fleet")
	code, stdout, stderr := memstorm(t, "fleet", "--out", out, filepath.Join(dir, "results-n1"), filepath.Join(dir, "results-n2", "memstorm-n2.tar.gz"))
	if code != exitOK {
		t.Fatalf("fleet: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "2 bundles, 2 nodes, 2 runs: 2 pass, 0 fail") || !strings.Contains(stdout, filepath.Join(out, "fleet.html")) {
		t.Errorf("fleet printed:\n%s", stdout)
	}
	// A fleet with a run that failed is written, and exits 1.
	code, stdout, _ = memstorm(t, "fleet", "--out", filepath.Join(dir, "fleet2"), filepath.Join("..", "..", "fleet", "testdata", "sonobuoy"))
	if code != exitExpectation || !strings.Contains(stdout, "1 fail") || !strings.Contains(stdout, "worst node: node-c") {
		t.Errorf("fleet of a failed run: exit %d, want 1\n%s", code, stdout)
	}
}

func TestBundleAndFleetBadUsage(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "small.yaml", smallScenario)
	planted := filepath.Join(dir, "planted")
	if err := os.MkdirAll(planted, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(planted, bundle.ManifestFile), []byte(`{"format": "memstorm-bundle/1", "node": "x", "runs": [{"dir": "../.."}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--bundle", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o"), sc}, "--bundle and --out"},
		{[]string{"run", "--bundle", filepath.Join(dir, "r"), "--junit", filepath.Join(dir, "j.xml"), sc}, "--bundle and --junit"},
		{[]string{"run", "--bundle", filepath.Join(dir, "r"), "--node", "a/b", sc}, "--node"},
		{[]string{"fleet"}, "want at least one bundle"},
		{[]string{"fleet", "--out", filepath.Join(dir, "f"), dir + "/nothing-here"}, "nothing-here"},
		{[]string{"fleet", "--out", filepath.Join(dir, "f"), filepath.Join(dir, "small.yaml")}, "small.yaml: not a tarball"},
		{[]string{"fleet", "--out", filepath.Join(dir, "f"), planted}, filepath.Join(planted, bundle.ManifestFile) + `: runs[0].dir "../..": want a relative path under runs/`},
	} {
		code, _, stderr := memstorm(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("memstorm %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r")); err == nil {
		t.Error("a refused run --bundle left its results directory")
	}
}

// TestProvisionalManifest: as each run of a bundle starts, bundle.json
// lists the runs so far, provisional, with the 137 of a container killed
// before memstorm finishes; a reader takes it as a bundle.
func TestProvisionalManifest(t *testing.T) {
	root := t.TempDir()
	m := &bundle.Manifest{Node: "n1", Started: "2026-12-01T00:00:00Z", Command: []string{"memstorm", "run"}}
	var stderr strings.Builder
	start := provisional(root, m, &stderr)
	for i, name := range []string{"oom-at-limit", "burst-to-90"} {
		sc, err := scenarios.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		start(&stress.Plan{Scenario: sc, Dir: filepath.Join(root, bundle.RunsDir, name+"-glibc"), Allocator: allocators.Choice{Label: "glibc"}})
		f, err := os.Open(filepath.Join(root, bundle.ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		got, err := bundle.DecodeManifest(f, f.Name())
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !got.Provisional || got.ExitCode != rundir.ExitKilled || got.Finished != "" || len(got.Runs) != i+1 || got.Runs[i].Dir != "runs/"+name+"-glibc" {
			t.Errorf("after run %d starts: %+v; want provisional, exit 137, %d runs, the last runs/%s-glibc", i, got, i+1, name)
		}
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}
