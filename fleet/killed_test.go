package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
)

// node-k is node-a's oom-at-limit run (limit 32 MiB) as an OOM group kill
// of its container leaves it: the provisional bundle.json that run
// --bundle writes as the run starts (exit code 137, no finished time), the
// group-kill-armed event that a run in the container's own cgroup under
// memory.oom.group=1 writes first, no summary.json, and no oom-kill event
// (the supervisor died with the worker).
var nodeK = filepath.Join("testdata", "node-k")

// TestKilledWithContainer: such a run is shown as killed with the
// container, with Kubernetes' exit 137 and OOMKilled and its sampled peak
// over the container's limit; the same run without the event is only
// incomplete.
func TestKilledWithContainer(t *testing.T) {
	f := load(t, nodeK, nodeA)
	var k *Row
	for i := range f.Rows {
		if f.Rows[i].Node == "node-k" {
			k = &f.Rows[i]
		}
	}
	if k == nil {
		t.Fatalf("no row of node-k in %+v", f.Rows)
	}
	if k.Verdict != VerdictKilled || k.K8sExitCode == nil || *k.K8sExitCode != rundir.ExitKilled || k.K8sReason != rundir.ReasonOOMKilled {
		t.Errorf("node-k: verdict %s, Kubernetes %v %q; want %s, exit 137, OOMKilled", k.Verdict, k.K8sExitCode, k.K8sReason, VerdictKilled)
	}
	// The last sample written before the kill: 20.2 MiB of 32 MiB.
	if k.LimitBytes == nil || *k.LimitBytes != 32<<20 || k.PeakShare == nil || *k.PeakShare < 0.5 || *k.PeakShare > 1 {
		t.Errorf("node-k: limit %v, peak share %v; want 32 MiB and the sampled peak over it", k.LimitBytes, k.PeakShare)
	}
	if f.Worst != "node-k" || f.Count(VerdictKilled) != 1 || f.Count(VerdictIncomplete) != 0 {
		t.Errorf("worst %q, verdicts %v; want node-k worst, one killed-with-container", f.Worst, f.Verdicts)
	}
	dir := t.TempDir()
	if err := f.Write(dir); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, MarkdownFile))
	for _, want := range []string{"**KILLED-WITH-CONTAINER**", "Kubernetes: exit 137, OOMKilled", "1 killed with the container"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("fleet.md lacks %q:\n%s", want, md)
		}
	}

	// Without the event nothing says the container's group kill armed.
	plain := filepath.Join(t.TempDir(), "node-k")
	copyTree(t, nodeK, plain)
	ev := filepath.Join(plain, "runs", "oom-at-limit-glibc", rundir.EventsFile)
	b, err := os.ReadFile(ev)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(ev, []byte(rest), 0o644); err != nil {
		t.Fatal(err)
	}
	f = load(t, plain)
	if r := f.Rows[0]; r.Verdict != VerdictIncomplete || r.K8sExitCode != nil {
		t.Errorf("without the event: verdict %s, Kubernetes exit %v; want incomplete and none", r.Verdict, r.K8sExitCode)
	}
}
