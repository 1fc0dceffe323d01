package stress

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
)

// hugePool is the host's hugetlb pool of one page size, from
// /sys/kernel/mm/hugepages/hugepages-<kB>kB.
type hugePool struct {
	Page        scenarios.Huge
	Dir         string
	Total, Free int
}

func (p hugePool) String() string {
	return fmt.Sprintf("%s pool: %d pages, %d free", p.Page, p.Total, p.Free)
}

// readHugePool reads the pool of page size h.
func readHugePool(roots cgroup.Roots, h scenarios.Huge) (hugePool, error) {
	p := hugePool{Page: h, Dir: roots.Path(fmt.Sprintf("/sys/kernel/mm/hugepages/hugepages-%dkB", h.PageBytes()>>10))}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"nr_hugepages", &p.Total}, {"free_hugepages", &p.Free}} {
		b, err := os.ReadFile(filepath.Join(p.Dir, f.name))
		if err != nil {
			return p, fmt.Errorf("reading the %s hugetlb pool: %w", h, err)
		}
		if *f.dst, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return p, fmt.Errorf("reading %s: %w", filepath.Join(p.Dir, f.name), err)
		}
	}
	return p, nil
}

// checkPages checks, before a run, what its pages need of the host: the
// free pages of each hugetlb pool the scenario states (hugetlb:), and
// RLIMIT_MEMLOCK when a phase locks (lock: true) and the process cannot
// lock past it (no CAP_IPC_LOCK).
func (p *Plan) checkPages() error {
	sc := p.Scenario
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range sc.HugeTLB {
			if !yield(k) {
				return
			}
		}
	}) {
		need := sc.HugeTLB[k]
		pool, err := readHugePool(p.Roots, scenarios.Huge(k))
		if err != nil {
			return usageErr("the scenario needs %d %s huge pages: %v", need, k, err)
		}
		if pool.Free < need {
			return usageErr("the scenario needs %d free %s huge pages; the %s. Reserve them (as root) with: echo %d > %s",
				need, k, pool, pool.Total+need-pool.Free, filepath.Join(pool.Dir, "nr_hugepages"))
		}
	}
	if !locks(sc.Phases) || canLockPastLimit() {
		return nil
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		return fmt.Errorf("reading RLIMIT_MEMLOCK: %w", err)
	}
	if rl.Cur == unix.RLIM_INFINITY {
		return nil
	}
	need, bounded := sc.Bounded()
	if !bounded || uint64(need) > rl.Cur {
		return usageErr("the scenario locks memory (lock: true) up to %s, and RLIMIT_MEMLOCK is %d bytes without CAP_IPC_LOCK: raise it (ulimit -l) or run as root",
			map[bool]string{true: fmt.Sprintf("%d bytes", need), false: "no byte bound"}[bounded], rl.Cur)
	}
	return nil
}

// locks says whether any allocate phase locks.
func locks(phases []scenarios.Phase) bool {
	for _, ph := range phases {
		if ph.Allocate != nil && ph.Allocate.Lock || locks(ph.Phases) {
			return true
		}
	}
	return false
}

// canLockPastLimit: CAP_IPC_LOCK (bit 14) in this process's effective set.
func canLockPastLimit() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<unix.CAP_IPC_LOCK) != 0
		}
	}
	return false
}

// hugePoolEvents records the pools the scenario uses, at "start" or "end".
func (s *supervisor) hugePoolEvents(when string) {
	for k := range s.sc.HugeTLB {
		pool, err := readHugePool(s.plan.Roots, scenarios.Huge(k))
		detail := fmt.Sprintf("%s: %v", when, pool)
		if err != nil {
			detail = fmt.Sprintf("%s: %v", when, err)
		}
		s.event(rundir.Event{Kind: EventHugePool, Detail: detail})
	}
}

// EventHugePool is the event kind of a hugetlb pool reading (events.jsonl).
const EventHugePool = "hugetlb-pool"

// checkHugeTLBLimit refuses a hugetlb limit (limit.hugetlb) where it cannot
// be set: a run without a cgroup of its own, cgroup v1 (where hugetlb is a
// hierarchy apart from memory), or a v2 cgroup whose parent is not given
// the hugetlb controller (cgroup.controllers).
func checkHugeTLBLimit(l Limits, mode string, roots cgroup.Roots) error {
	if len(l.HugeTLB) == 0 {
		return nil
	}
	if mode == CgroupNone || mode == CgroupCurrent {
		return usageErr("limit.hugetlb needs a cgroup made for the run, not --cgroup %s", mode)
	}
	host, err := cgroup.Detect(roots)
	if err != nil {
		return usageErr("limit.hugetlb needs a cgroup v2 with the hugetlb controller: %v", err)
	}
	if host.Version() != 2 {
		return usageErr("limit.hugetlb (hugetlb.<size>.max) needs the memory and hugetlb controllers on one cgroup v2 hierarchy; this host's memory controller is on v%d", host.Version())
	}
	file := filepath.Join(host.Dir(), "cgroup.controllers")
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading the controllers for limit.hugetlb: %w", err)
	}
	if !slices.Contains(strings.Fields(string(b)), "hugetlb") {
		return usageErr("limit.hugetlb: the hugetlb controller is not available to %s (%s lists %q)", host.Dir(), file, strings.TrimSpace(string(b)))
	}
	return nil
}
