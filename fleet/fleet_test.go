package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/bundle"
	"github.com/memstorm/memstorm/rundir"
)

// The bundles in testdata were written by memstorm run --bundle on a
// cgroup v1 host (--scale 0.125): node-a (oom-at-limit and every-other,
// both passed) as a directory, node-b (the same) as its tarball, node-c
// (every-other under --limit 16MiB: OOM-killed, failed) unpacked where
// sonobuoy retrieve puts a DaemonSet plugin's results.
var (
	nodeA    = filepath.Join("testdata", "node-a")
	nodeB    = filepath.Join("testdata", "memstorm-node-b.tar.gz")
	sonobuoy = filepath.Join("testdata", "sonobuoy")
)

func load(t *testing.T, paths ...string) *Fleet {
	t.Helper()
	f, err := Load(paths, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLoadMerges(t *testing.T) {
	f := load(t, nodeA, nodeB, sonobuoy)
	if f.Bundles != 3 || len(f.Nodes) != 3 || len(f.Rows) != 5 || f.Duplicates != 0 {
		t.Fatalf("%d bundles, %d nodes, %d runs, %d duplicates; want 3, 3, 5, 0", f.Bundles, len(f.Nodes), len(f.Rows), f.Duplicates)
	}
	if f.Count(VerdictPass) != 4 || f.Count(VerdictFail) != 1 {
		t.Errorf("verdicts %v, want 4 pass and 1 fail", f.Verdicts)
	}
	if f.Worst != "node-c" || !f.Nodes[0].Worst || f.Nodes[0].Name != "node-c" {
		t.Errorf("worst node %q (first %q), want node-c: the one with a run that did not pass", f.Worst, f.Nodes[0].Name)
	}
	want := []Cell{{"every-other", "glibc"}, {"oom-at-limit", "glibc"}}
	if len(f.Cells) != 2 || f.Cells[0] != want[0] || f.Cells[1] != want[1] {
		t.Errorf("cells %v, want %v", f.Cells, want)
	}
	for _, r := range f.Rows {
		switch {
		case r.Node == "node-c":
			if r.Verdict != VerdictFail || r.Outcome != rundir.OutcomeOOMKilled || len(r.Failed) == 0 || r.TimeToKillS == nil {
				t.Errorf("node-c: %+v, want a failed, OOM-killed run with its failed expectations and time to kill", r)
			}
			if r.LimitBytes == nil || *r.LimitBytes != 16<<20 {
				t.Errorf("node-c limit %v, want 16 MiB", r.LimitBytes)
			}
		case r.Scenario == "oom-at-limit":
			// The kernel charges at most the limit plus a page per thread.
			if r.PeakShare == nil || *r.PeakShare < 0.9 || *r.PeakShare > 1.001 {
				t.Errorf("%s oom-at-limit peak share %v, want 90%% to 100%%", r.Node, r.PeakShare)
			}
			if r.TimeToKillS == nil || *r.TimeToKillS <= 0 || *r.TimeToKillS > r.DurationS {
				t.Errorf("%s time to kill %v, want within the run's %v s", r.Node, r.TimeToKillS, r.DurationS)
			}
			// On v1 the pages the worker touched before it was moved into
			// the cgroup stay charged where they were, so its anon may pass
			// the cgroup's usage by those (a few MiB at most).
			if r.AnonShareAtKill == nil || *r.AnonShareAtKill <= 0 || *r.AnonShareAtKill > 1.1 {
				t.Errorf("%s anon share at the kill %v, want in (0, 1.1]", r.Node, r.AnonShareAtKill)
			}
		case r.Scenario == "every-other":
			if r.LimitBytes != nil || r.PeakShare != nil || r.TimeToKillS != nil {
				t.Errorf("%s every-other without a limit has limit %v, share %v, kill %v; want none", r.Node, r.LimitBytes, r.PeakShare, r.TimeToKillS)
			}
		}
		if len(r.curve) == 0 {
			t.Errorf("%s %s: no usage curve", r.Node, r.Scenario)
		}
	}
}

func TestLoadCountsABundleOnce(t *testing.T) {
	f := load(t, nodeA, nodeA)
	if f.Bundles != 1 || f.Duplicates != 1 || len(f.Rows) != 2 {
		t.Errorf("the same bundle twice: %d bundles, %d duplicates, %d runs; want 1, 1, 2", f.Bundles, f.Duplicates, len(f.Rows))
	}
}

func TestWrite(t *testing.T) {
	f := load(t, nodeA, nodeB, sonobuoy)
	dir := t.TempDir()
	if err := f.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{HTMLFile, MarkdownFile, JSONFile, "fleet-oom-at-limit.svg", "fleet-oom-at-limit.png", "fleet-every-other.svg"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, MarkdownFile))
	for _, want := range []string{"| **node-c** (worst) |", "| node-a |", "| node-b |", "every-other / glibc", "**FAIL**", "killed at", "of limit", "## Runs that did not pass"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("fleet.md lacks %q:\n%s", want, md)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	for _, want := range []string{`<tr class="node worst"><td class="label">node-c</td>`, "Worst node: node-c", "<svg", `id="bad"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("fleet.html lacks %q", want)
		}
	}
	var back Fleet
	b, _ := os.ReadFile(filepath.Join(dir, JSONFile))
	if err := json.Unmarshal(b, &back); err != nil || back.Worst != "node-c" || len(back.Rows) != 5 {
		t.Errorf("fleet.json: %v, worst %q, %d runs", err, back.Worst, len(back.Rows))
	}
}

// copyTree copies the bundle at src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLoadNamesTheCorruptFile corrupts one run's summary.json and expects
// an InputError naming it: in the directory, and inside the tarball.
func TestLoadNamesTheCorruptFile(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "memstorm-node-a")
	copyTree(t, nodeA, dir)
	sum := filepath.Join(dir, "runs", "oom-at-limit-glibc", rundir.SummaryFile)
	if err := os.WriteFile(sum, []byte(`{"outcome": "exploded"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(tmp, "b.tar.gz")
	if err := bundle.Pack(dir, tarball); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		dir:     sum,
		tarball: tarball + ":runs/oom-at-limit-glibc/summary.json",
	} {
		_, err := Load([]string{path}, 0)
		var ie *rundir.InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), want+":") || !strings.Contains(err.Error(), "exploded") {
			t.Errorf("Load(%s) = %v, want an InputError at %s", path, err, want)
		}
	}
}

// TestManyNodesDrawTheBand: past maxLines runs of a scenario the overlay
// draws the band of all of them and the worst node's line only.
func TestManyNodesDrawTheBand(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	copyTree(t, nodeA, src)
	f := &bundle.Finder{}
	bs, err := f.Find(src)
	if err != nil {
		t.Fatal(err)
	}
	m := bs[0].Manifest
	gathered := filepath.Join(tmp, "gathered")
	if err := os.MkdirAll(gathered, 0o755); err != nil {
		t.Fatal(err)
	}
	const n = maxLines + 6
	for i := range n {
		m.Node = fmt.Sprintf("node-%02d", i)
		if err := bundle.Write(src, m); err != nil {
			t.Fatal(err)
		}
		if err := bundle.Pack(src, filepath.Join(gathered, m.Node+".tar.gz")); err != nil {
			t.Fatal(err)
		}
	}
	fl := load(t, gathered)
	if fl.Bundles != n || len(fl.Nodes) != n {
		t.Fatalf("%d bundles, %d nodes, want %d", fl.Bundles, len(fl.Nodes), n)
	}
	fig := fl.Figure("oom-at-limit")
	if fig == nil {
		t.Fatal("no figure")
	}
	var labels []string
	for _, it := range fig.Legend {
		labels = append(labels, it.Label)
	}
	got := strings.Join(labels, "; ")
	if want := "all runs, lowest to highest; worst node: " + fl.Worst + "; limit"; got != want {
		t.Errorf("legend %q, want %q", got, want)
	}
}
