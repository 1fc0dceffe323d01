package stress

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
)

// TestPopulateKeysReachTheEngine: an mmap fill with populate: write and
// touch: false is resident all the same (the kernel populated it), and
// with huge: thp part of it is in transparent huge pages where the host
// allows them.
func TestPopulateKeysReachTheEngine(t *testing.T) {
	requireMemcg(t)
	sc := parseText(t, `name: populate
limit: {max: 256MiB}
phases:
  - name: fill
    allocate: {via: mmap, size: 4MiB, touch: false, populate: write, huge: thp, until: {bytes: 64MiB}}
  - name: hold
    hold: 50ms
`)
	dir := filepath.Join(t.TempDir(), "run")
	before := thpFaults(t)
	sum := runScenario(t, sc, Options{Dir: dir})
	after := thpFaults(t)
	if !sum.Passed || len(sum.Phases) < 1 {
		t.Fatalf("run: outcome %s (%s), %d phases", sum.Outcome, sum.Reason, len(sum.Phases))
	}
	// Untouched, an mmap fill adds nothing to anon; populated, all 64 MiB.
	if anon := sum.Phases[0].AnonBytes; anon < 64<<20 || anon > 64<<20+16<<20 {
		t.Errorf("anon at the end of an untouched, populated 64 MiB fill = %d, want 64 MiB and the worker's own", anon)
	}
	// smaps_rollup is read at every phase end: the fill's 4 MiB mappings
	// each hold at least one aligned 2 MiB range.
	if mode, _ := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); strings.Contains(string(mode), "[never]") || len(mode) == 0 {
		return
	}
	var huge int64
	for _, s := range readRun(t, dir).Samples {
		huge = max(huge, s.AnonHuge)
	}
	// The kernel may have no free 2 MiB ranges to give (a small, long-used
	// machine): it then falls back to small pages and counts it.
	if alloc, fallback := after[0]-before[0], after[1]-before[1]; huge < 16<<20 && alloc == 0 && fallback > 0 {
		t.Logf("huge: thp: the kernel fell back to small pages %d times and allocated no huge page (/proc/vmstat thp_fault_*): nothing to check", fallback)
		return
	}
	if huge < 16<<20 {
		t.Errorf("huge: thp: AnonHugePages reached %d, want at least a quarter of the 64 MiB", huge)
	}
}

// TestHugeTLBPool: a scenario that states more 2 MiB pages than the pool
// has free is refused before it runs, with the command that reserves
// them; with the pages reserved it runs, its mappings come from the pool,
// and the pool is recorded at the start and the end. The host's
// nr_hugepages is restored.
func TestHugeTLBPool(t *testing.T) {
	requireMemcg(t)
	const pool = "/sys/kernel/mm/hugepages/hugepages-2048kB/"
	prev, err := os.ReadFile(pool + "nr_hugepages")
	if err != nil {
		t.Skipf("no 2 MiB hugetlb pool: %v", err)
	}
	text := `name: hugetlb
hugetlb: {2MiB: %d}
phases:
  - name: fill
    allocate: {via: mmap, size: 3MiB, huge: 2MiB, populate: write, until: {count: 4}}
  - name: hold
    hold: 20ms
`
	_, err = Prepare(parseText(t, fmt.Sprintf(text, 1<<20)), Options{Dir: filepath.Join(t.TempDir(), "refused")})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "nr_hugepages") {
		t.Fatalf("Prepare with a million 2 MiB pages needed: %v, want a usage error saying how to reserve them", err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(pool+"nr_hugepages", prev, 0); err != nil {
			t.Errorf("restoring nr_hugepages to %s: %v", strings.TrimSpace(string(prev)), err)
		}
	})
	n, _ := strconv.Atoi(strings.TrimSpace(string(prev)))
	if err := os.WriteFile(pool+"nr_hugepages", []byte(strconv.Itoa(n+8)), 0); err != nil {
		t.Fatalf("reserving 8 huge pages: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	sum := runScenario(t, parseText(t, fmt.Sprintf(text, 8)), Options{Dir: dir})
	if !sum.Passed {
		t.Fatalf("run: outcome %s (%s)", sum.Outcome, sum.Reason)
	}
	// 4 objects of 3 MiB, each rounded up to two 2 MiB pages.
	if live := sum.Phases[0].LiveBytes; live != 16<<20 {
		t.Errorf("live after the fill = %d, want 16 MiB (4 objects rounded to whole pages)", live)
	}
	run := readRun(t, dir)
	var huge int64
	for _, s := range run.Samples {
		huge = max(huge, s.HugeTLB)
	}
	if huge != 16<<20 {
		t.Errorf("hugetlb_bytes reached %d in samples.csv, want 16 MiB", huge)
	}
	var pools []string
	for _, e := range run.Events {
		if e.Kind == EventHugePool {
			pools = append(pools, e.Detail)
		}
	}
	if len(pools) != 2 || !strings.HasPrefix(pools[0], "start: 2MiB pool: ") || !strings.HasPrefix(pools[1], "end: 2MiB pool: ") {
		t.Errorf("hugetlb-pool events %q, want one at the start and one at the end", pools)
	}
}

// TestLockedCurve: lock: true makes an untouched mmap fill resident and
// locked, and samples.csv's locked_bytes follows it.
func TestLockedCurve(t *testing.T) {
	requireMemcg(t)
	sc := parseText(t, `name: lock
limit: {max: 256MiB}
phases:
  - name: fill
    allocate: {via: mmap, size: 1MiB, touch: false, lock: true, until: {bytes: 16MiB}}
  - name: hold
    hold: 20ms
`)
	dir := filepath.Join(t.TempDir(), "run")
	sum := runScenario(t, sc, Options{Dir: dir})
	if !sum.Passed {
		t.Fatalf("run: outcome %s (%s)", sum.Outcome, sum.Reason)
	}
	var locked int64
	for _, s := range readRun(t, dir).Samples {
		locked = max(locked, s.Locked)
	}
	if locked != 16<<20 {
		t.Errorf("locked_bytes reached %d, want 16 MiB", locked)
	}
	if anon := sum.Phases[0].AnonBytes; anon < 16<<20 {
		t.Errorf("anon after an untouched locked fill of 16 MiB = %d: mlock did not make it resident", anon)
	}
}

// TestLimitFillStopsWithinOnePercent: two fillers populating 1 MiB
// mappings (under 1% of the 256 MiB limit) stop at 95% of it within about
// 1%: each call of a filler is bounded by its share of what is left to the
// mark and of 0.5% of the limit, so together they pass the mark by at most
// that (what the other has in flight), a mapping each (2 MiB) and the
// cgroup's charge lag (its per-CPU stock, 256 KiB a CPU), not by a batch
// each (16 MiB, and without the 0.5% cap half of what was left: an OOM
// kill).
func TestLimitFillStopsWithinOnePercent(t *testing.T) {
	requireMemcg(t)
	sc := parseText(t, `name: to-limit
workers: 2
limit: {max: 256MiB}
phases:
  - name: fill
    allocate: {via: mmap, size: 1MiB, populate: write, until: {limit: 95%}}
`)
	sum := runScenario(t, sc, Options{})
	if sum.Outcome != rundir.OutcomeStoppedAtLimit {
		t.Fatalf("outcome %s (%s), want stopped-at-limit", sum.Outcome, sum.Reason)
	}
	const limit = 256 << 20
	peak := sum.Cgroup.PeakUsageBytes
	t.Logf("peak usage %.2f%% of the limit (%s)", 100*float64(peak)/limit, sum.Cgroup.PeakSource)
	if bound := int64(limit*95/100 + limit/200 + 2<<20 + 512<<10); peak < limit*95/100 || peak > bound {
		t.Errorf("peak usage %d is %.2f%% of the limit, want 95%% to %.2f%%", peak, 100*float64(peak)/limit, 100*float64(bound)/limit)
	}
}

// thpFaults reads /proc/vmstat's thp_fault_alloc and thp_fault_fallback.
func thpFaults(t *testing.T) [2]int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		t.Fatal(err)
	}
	var out [2]int64
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "thp_fault_alloc":
			out[0] = n
		case "thp_fault_fallback":
			out[1] = n
		}
	}
	return out
}
