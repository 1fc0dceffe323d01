package stress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	sum := runScenario(t, sc, Options{Dir: dir})
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
	if huge < 16<<20 {
		t.Errorf("huge: thp: AnonHugePages reached %d, want at least a quarter of the 64 MiB", huge)
	}
}
