package stress

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
	"github.com/memstorm/memstorm/rundir"
)

const pool2M = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

// hugetlbLimitScenario maps four 2 MiB huge pages, one object each, under a
// hugetlb limit of two (limit nil: the cgroup's limit is set by the test).
func hugetlbLimitScenario(limit string) string {
	return `name: hugetlb-limit
` + limit + `hugetlb: {2MiB: 4}
phases:
  - name: fill
    allocate: {via: mmap, size: 2MiB, huge: 2MiB, until: {count: 4}}
  - name: hold
    hold: 20ms
`
}

// reserveHugePages adds n pages to the host's 2 MiB pool and restores it
// when the test ends.
func reserveHugePages(t *testing.T, n int) {
	t.Helper()
	prev, err := os.ReadFile(pool2M)
	if err != nil {
		testenv.Missing(t, "no 2 MiB hugetlb pool: %v", err)
	}
	have, _ := strconv.Atoi(strings.TrimSpace(string(prev)))
	t.Cleanup(func() {
		if err := os.WriteFile(pool2M, prev, 0); err != nil {
			t.Errorf("restoring nr_hugepages to %s: %v", strings.TrimSpace(string(prev)), err)
		}
	})
	if err := os.WriteFile(pool2M, []byte(strconv.Itoa(have+n)), 0); err != nil {
		t.Fatalf("reserving %d huge pages: %v", n, err)
	}
}

// TestHugeTLBLimitOutcome: on cgroup v2 with the hugetlb controller, a
// scenario's limit.hugetlb of 4 MiB lets two of four 2 MiB huge pages be
// faulted; the third is a SIGBUS, and the run's outcome is hugetlb-limit
// (SIGBUS and the cgroup's hugetlb.2MB.events max), not oom-killed or
// failed. Where the run's cgroup cannot have the controller (cgroup v1,
// or a parent that does not give hugetlb), Prepare refuses the scenario as
// bad usage, naming why, before anything is made.
func TestHugeTLBLimitOutcome(t *testing.T) {
	host := testmemcg.RequireChildren(t)
	sc := parseText(t, hugetlbLimitScenario("limit: {max: 64MiB, hugetlb: {2MiB: 4MiB}}\n"))
	dir := filepath.Join(t.TempDir(), "run")
	ctl, _ := os.ReadFile(filepath.Join(host.Dir(), "cgroup.controllers"))
	if host.Version() != 2 || !slices.Contains(strings.Fields(string(ctl)), "hugetlb") {
		_, err := Prepare(sc, Options{Dir: dir})
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "limit.hugetlb") {
			t.Fatalf("Prepare with limit.hugetlb on v%d (controllers %q): %v, want a usage error naming limit.hugetlb", host.Version(), ctl, err)
		}
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("%s was created for a refused run", dir)
		}
		t.Logf("refused where the controller cannot be had: %v", err)
		return
	}
	reserveHugePages(t, 4)
	sum := runScenario(t, sc, Options{Dir: dir})
	if sum.Outcome != rundir.OutcomeHugeTLBLimit || !strings.Contains(sum.Reason, "hugetlb limit") {
		t.Fatalf("outcome %s (%s), exit %q; want hugetlb-limit", sum.Outcome, sum.Reason, sum.ExitStatus)
	}
	if sum.ExitStatus != "killed by SIGBUS" {
		t.Errorf("exit status %q, want killed by SIGBUS", sum.ExitStatus)
	}
	t.Logf("outcome %s: %s", sum.Outcome, sum.Reason)
	if sum.Cgroup != nil && sum.Cgroup.OOMKill > 0 {
		t.Errorf("oom_kill %d: a hugetlb limit is no OOM kill", sum.Cgroup.OOMKill)
	}
}

// TestWorkerDiesOfSIGBUS: the worker, a Go program, dies of the SIGBUS of
// a huge page fault past a hugetlb limit with that signal, as a C program
// does, not with the Go runtime's crash and exit status 2. It runs where
// the hugetlb controller is on a v2 hierarchy apart from the v1 memory
// controller (a v1 hybrid host): the test process moves itself into a
// child of the unified mount limited to 4 MiB of 2 MiB pages, so its
// workers start there, and moves back. The run's memory cgroup is v1 and
// has no hugetlb counters: the outcome is failed, with the signal.
func TestWorkerDiesOfSIGBUS(t *testing.T) {
	host := testmemcg.RequireChildren(t)
	const unified = "/sys/fs/cgroup/unified"
	ctl, err := os.ReadFile(filepath.Join(unified, "cgroup.controllers"))
	if host.Version() != 1 || err != nil || !slices.Contains(strings.Fields(string(ctl)), "hugetlb") {
		t.Skip("needs a v1 memory hierarchy with hugetlb on the unified mount (TestHugeTLBLimitOutcome covers v2)")
	}
	reserveHugePages(t, 4)
	sub := filepath.Join(unified, "cgroup.subtree_control")
	if on, _ := os.ReadFile(sub); !slices.Contains(strings.Fields(string(on)), "hugetlb") {
		if err := os.WriteFile(sub, []byte("+hugetlb"), 0); err != nil {
			t.Fatalf("enabling hugetlb in %s: %v", sub, err)
		}
		t.Cleanup(func() {
			if err := os.WriteFile(sub, []byte("-hugetlb"), 0); err != nil {
				t.Errorf("disabling hugetlb in %s again: %v", sub, err)
			}
		})
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	back := unified
	for _, l := range strings.Split(string(own), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			back = filepath.Join(unified, p)
		}
	}
	child := filepath.Join(unified, fmt.Sprintf("memstorm-test-hugetlb-%d", os.Getpid()))
	if err := os.Mkdir(child, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(child); err != nil {
			t.Errorf("removing %s: %v", child, err)
		}
	})
	if err := os.WriteFile(filepath.Join(child, "hugetlb.2MB.max"), []byte("4194304"), 0); err != nil {
		t.Fatal(err)
	}
	move := func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			t.Fatalf("moving the test process into %s: %v", dir, err)
		}
	}
	move(child)
	defer move(back)
	sum := runScenario(t, parseText(t, hugetlbLimitScenario("limit: {max: 64MiB}\n")), Options{})
	if sum.ExitStatus != "killed by SIGBUS" || sum.Outcome != rundir.OutcomeFailed || !strings.Contains(sum.Reason, "bus error") {
		t.Errorf("outcome %s (%s), exit %q; want failed, killed by SIGBUS", sum.Outcome, sum.Reason, sum.ExitStatus)
	}
	b, err := os.ReadFile(filepath.Join(child, "hugetlb.2MB.events"))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cgroup.ParseHugeTLBEvents(strings.NewReader(string(b))); err != nil || n < 1 {
		t.Errorf("hugetlb.2MB.events of %s: max %d, %v; want at least 1 refused page", child, n, err)
	}
}
