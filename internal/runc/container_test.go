package runc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/memstorm/memstorm/internal/rootfs"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
)

// StageEnv, set to 1 by make test-container, runs the container tests;
// go test ./... skips them (the stage runs once, on its own).
const StageEnv = "MEMSTORM_CONTAINER_STAGE"

// containerUID is the unprivileged user memstorm runs as in the container.
const containerUID = 1000

// container is what a container test needs: runc, the root, a host
// directory for /out, and the cgroup path the container gets.
type container struct {
	runc, out, cgroupsPath, cgroupDir string
	root                              *rootfs.Root
}

// newContainer checks the stage's requirements (root, runc, a memory
// cgroup, the allocator libraries) and builds memstorm and its root.
func newContainer(t *testing.T) *container {
	t.Helper()
	if os.Getenv(StageEnv) != "1" {
		t.Skipf("the container stage runs with make test-container (%s=1)", StageEnv)
	}
	testenv.RequireRoot(t)
	c := &container{runc: testenv.RequireCommand(t, "runc", "runc")}
	host := testmemcg.Require(t)
	exe := filepath.Join(t.TempDir(), "memstorm")
	if out, err := exec.Command("go", "build", "-o", exe, "../../cmd/memstorm").CombinedOutput(); err != nil {
		t.Fatalf("building memstorm: %v\n%s", err, out)
	}
	var err error
	if c.root, err = rootfs.Collect(exe); err != nil {
		testenv.Missing(t, "%v", err)
	}
	c.out = filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(c.out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(c.out, containerUID, containerUID); err != nil {
		t.Fatal(err)
	}
	// The container's cgroup goes under this process's own memory cgroup.
	lines, err := procfs.NewFS("/proc").Self().Cgroups()
	if err != nil {
		t.Fatal(err)
	}
	own, ok := procfs.CgroupV1Path(lines, "memory")
	if host.Version() == 2 {
		own, ok = procfs.CgroupV2Path(lines)
	}
	if !ok {
		t.Fatalf("no memory cgroup line in /proc/self/cgroup")
	}
	name := fmt.Sprintf("memstorm-container-%d", os.Getpid())
	c.cgroupsPath = filepath.Join(own, name)
	c.cgroupDir = filepath.Join(host.Dir(), name)
	return c
}

// run runs memstorm ARGS... as uid 1000 in a container with a memory
// limit of limit bytes, and checks that the container and its cgroup are
// gone afterwards.
func (c *container) run(t *testing.T, id string, limit int64, args ...string) Result {
	t.Helper()
	return c.runWith(t, id, limit, nil, args...)
}

// runWith is run, calling during (when not nil) in its own goroutine
// once the container is started.
func (c *container) runWith(t *testing.T, id string, limit int64, during func(b *Bundle), args ...string) Result {
	t.Helper()
	bundle := filepath.Join(t.TempDir(), "bundle")
	b, err := NewBundle(c.runc, bundle, c.root, Options{
		Args: append([]string{rootfs.BinaryPath}, args...), UID: containerUID, GID: containerUID,
		MemoryLimit: limit, Out: c.out, CgroupsPath: c.cgroupsPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	if during != nil {
		go during(b)
	}
	return c.runBundle(t, b, id)
}

// runBundle runs the container id of bundle b and checks that the
// container and its cgroup are gone afterwards.
func (c *container) runBundle(t *testing.T, b *Bundle, id string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		if err := b.Delete(id); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if _, err := os.Stat(c.cgroupDir); err == nil {
			t.Errorf("the container's cgroup %s is left behind", c.cgroupDir)
			_ = os.Remove(c.cgroupDir)
		}
	})
	res, err := b.Run(ctx, id)
	t.Logf("container %s: exit %d in %v\nstdout:\n%s\nstderr:\n%s", id, res.ExitCode, res.Elapsed.Round(time.Millisecond), res.Stdout, res.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := b.runc("state", id).CombinedOutput(); err == nil {
		t.Errorf("container %s still exists after runc run: %s", id, out)
	}
	if _, err := os.Stat(c.cgroupDir); err == nil {
		t.Errorf("the container's cgroup %s is left behind by runc run", c.cgroupDir)
	}
	return res
}

// summaryOf reads a run directory's summary and checks the report is there.
func summaryOf(t *testing.T, dir string) *rundir.Summary {
	t.Helper()
	s, err := rundir.ReadSummary(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "report.html")); err != nil || fi.Size() == 0 {
		t.Errorf("%s: no report.html (%v)", dir, err)
	}
	return s
}

// runKills is how many worker processes a run's summary.json says the
// OOM killer killed during the run: cgroup.oom_killed_processes, or
// cgroup.oom_kills in summaries written before that field (read from the
// JSON, so that the test holds across the change of the summary's type).
func runKills(t *testing.T, dir string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Cgroup map[string]json.RawMessage `json:"cgroup"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"oom_killed_processes", "oom_kills"} {
		if raw, ok := s.Cgroup[k]; ok {
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				t.Fatalf("%s: cgroup.%s: %v", dir, k, err)
			}
			return n
		}
	}
	t.Fatalf("%s: the summary's cgroup counts no OOM kills", dir)
	return 0
}

// oomKillEvents counts the oom-kill events of a run directory.
func oomKillEvents(t *testing.T, dir string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := rundir.ReadEvents(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == rundir.EventOOMKill {
			n++
		}
	}
	return n
}

// TestContainerOOMThenFill: in a 256 MiB container, read-only root, as uid
// 1000, memstorm (PID 1) runs oom-at-limit then fill-to-limit-then-free in
// one invocation. It falls back to the container's own cgroup and takes
// its limit; the kernel kills the worker, not the supervisor, which
// writes both reports; each summary holds only its own kill; exit 0.
func TestContainerOOMThenFill(t *testing.T) {
	c := newContainer(t)
	const limit = 256 << 20
	res := c.run(t, fmt.Sprintf("memstorm-oom-fill-%d", os.Getpid()), limit,
		"run", "--quiet", "--out", "/out/runs", "oom-at-limit", "fill-to-limit-then-free")
	if res.ExitCode != 0 {
		t.Errorf("exit %d, want 0: both runs as their scenarios expect", res.ExitCode)
	}
	oom := summaryOf(t, filepath.Join(c.out, "runs", "oom-at-limit-glibc"))
	fill := summaryOf(t, filepath.Join(c.out, "runs", "fill-to-limit-then-free-glibc"))
	for _, s := range []*rundir.Summary{oom, fill} {
		cg := s.Cgroup
		if cg == nil {
			t.Fatalf("%s: no cgroup in the summary", s.Scenario)
		}
		if b, ok := cg.Limit.Bytes(); !ok || b != limit || cg.Mode != "current" {
			t.Errorf("%s: cgroup %s limit %v, want the container's own (current) at 256 MiB", s.Scenario, cg.Mode, cg.Limit)
		}
		if !s.Passed {
			t.Errorf("%s: expectations failed: %+v", s.Scenario, s.Expectations)
		}
	}
	oomDir, fillDir := filepath.Join(c.out, "runs", "oom-at-limit-glibc"), filepath.Join(c.out, "runs", "fill-to-limit-then-free-glibc")
	if k := runKills(t, oomDir); oom.Outcome != rundir.OutcomeOOMKilled || k != 1 || oomKillEvents(t, oomDir) != 1 {
		t.Errorf("oom-at-limit: outcome %s, %d processes OOM-killed: want the worker OOM-killed once", oom.Outcome, k)
	}
	// The kernel killed the worker, not the supervisor: the supervisor saw
	// its worker end by SIGKILL and went on to write both runs (exit 0).
	if !strings.Contains(oom.ExitStatus, "SIGKILL") {
		t.Errorf("oom-at-limit: the worker's exit status %q, want killed by SIGKILL", oom.ExitStatus)
	}
	if k := runKills(t, fillDir); fill.Outcome != rundir.OutcomeStoppedAtLimit || k != 0 {
		t.Errorf("fill-to-limit-then-free: outcome %s, %d processes OOM-killed: want stopped at the limit without a kill", fill.Outcome, k)
	}
	// Every counter in a summary is the run's own: the second run's
	// events do not carry the first run's kill.
	if k := fill.Cgroup.Events["oom_kill"]; k != 0 {
		t.Errorf("fill-to-limit-then-free: events oom_kill %d, want 0 (the first run's kill counted in the second run's summary)", k)
	}
	if !strings.Contains(string(res.Stdout), "oom-killed") {
		t.Errorf("the supervisor's summary line of the kill is missing from stdout")
	}
}

// TestContainerInheritsTheLimit: in a 384 MiB container, --limit inherit
// runs oom-at-limit (whose own limit is 256 MiB) at the container's limit
// and is killed there; in a container without a memory limit (and none
// above it: the test's own cgroup has none on the hosts it runs on), the
// same command is refused with exit 2, one line, and no run directory.
func TestContainerInheritsTheLimit(t *testing.T) {
	c := newContainer(t)
	const limit = 384 << 20
	res := c.run(t, fmt.Sprintf("memstorm-inherit-%d", os.Getpid()), limit,
		"run", "--quiet", "--limit", "inherit", "--out", "/out/inherit", "oom-at-limit")
	if res.ExitCode != 0 {
		t.Errorf("exit %d, want 0", res.ExitCode)
	}
	s := summaryOf(t, filepath.Join(c.out, "inherit"))
	if b, ok := s.Cgroup.Limit.Bytes(); !ok || b != limit || s.Outcome != rundir.OutcomeOOMKilled || !s.Passed {
		t.Errorf("limit %v, outcome %s, passed %v: want killed at the container's 384 MiB", s.Cgroup.Limit, s.Outcome, s.Passed)
	}

	if l, _, err := testmemcg.Require(t).InheritedLimit(); err != nil || l.Bounded() {
		t.Skipf("this test's own cgroup has a limit (%v, %v): a container under it inherits one", l, err)
	}
	res = c.run(t, fmt.Sprintf("memstorm-inherit-none-%d", os.Getpid()), 0,
		"run", "--quiet", "--limit", "inherit", "--out", "/out/none", "oom-at-limit")
	stderr := strings.TrimSpace(string(res.Stderr))
	if res.ExitCode != 2 || strings.Count(stderr, "\n") != 0 || !strings.Contains(stderr, "have no limit") {
		t.Errorf("no limit to inherit: exit %d, stderr %q: want exit 2 and one line saying so", res.ExitCode, stderr)
	}
	if _, err := os.Stat(filepath.Join(c.out, "none")); err == nil {
		t.Errorf("a refused run left its directory")
	}
}

// TestContainerStopped: docker stop's SIGTERM to the container's init
// (memstorm as PID 1) while a run goes ends it as interrupted, with its
// summary and report written and exit 143.
func TestContainerStopped(t *testing.T) {
	c := newContainer(t)
	scen := filepath.Join(c.out, "hold.yaml")
	if err := os.WriteFile(scen, []byte("name: hold\nphases:\n  - allocate: {size: 4KiB, until: {bytes: 8MiB}}\n  - hold: 60s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("memstorm-stop-%d", os.Getpid())
	res := c.runWith(t, id, 64<<20, func(b *Bundle) {
		time.Sleep(2 * time.Second)
		if err := b.Kill(id, "TERM"); err != nil {
			t.Errorf("stopping the container: %v", err)
		}
	}, "run", "--quiet", "--out", "/out/stopped", "/out/hold.yaml")
	if res.ExitCode != 143 {
		t.Errorf("exit %d, want 143 (128 + SIGTERM)", res.ExitCode)
	}
	if res.Elapsed > 30*time.Second {
		t.Errorf("the container took %v to stop", res.Elapsed)
	}
	s := summaryOf(t, filepath.Join(c.out, "stopped"))
	if s.Outcome != rundir.OutcomeInterrupted {
		t.Errorf("outcome %s, want interrupted", s.Outcome)
	}
}
