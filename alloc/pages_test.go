package alloc

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
)

// TestPopulateMakesResident: an untouched mmap fill with PopulateWrite or
// PopulateMap is resident all the same, and PopulateWrite says it was the
// kernel's advice (this kernel is newer than 5.14), not touching.
func TestPopulateMakesResident(t *testing.T) {
	const objs, size = 16, 2 * mib
	for _, pop := range []Populate{PopulateWrite, PopulateMap} {
		e, _ := newEngine(t, 44)
		before := statusBytes(t, "RssAnon")
		mustFill(t, e, FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: objs, Populate: pop})
		grown := statusBytes(t, "RssAnon") - before
		if grown < objs*size-rssSlack || grown > objs*size+rssSlack {
			t.Errorf("populate %d: %d MiB mapped untouched grew RssAnon by %d KiB, want about all of it", pop, objs*size/mib, grown>>10)
		}
		populated, touched := e.PopulateCounts()
		if pop == PopulateWrite && (populated != objs || touched != 0) {
			t.Errorf("MADV_POPULATE_WRITE: %d objects populated, %d touched; want %d and 0", populated, touched, objs)
		}
	}
}

// TestHugeAdvice: with HugeTHP the populated mappings come as transparent
// huge pages (AnonHugePages grows by most of them), in the host's "madvise"
// mode too; with HugeNoTHP, in "always" mode, they do not.
func TestHugeAdvice(t *testing.T) {
	mode := thpMode(t)
	if mode == "never" {
		t.Skip("transparent huge pages are off on this host (never)")
	}
	const objs, size = 8, 4 * mib
	e, _ := newEngine(t, 45)
	before := smapsBytes(t, "AnonHugePages")
	mustFill(t, e, FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: objs, Populate: PopulateWrite, Huge: HugeTHP})
	huge := smapsBytes(t, "AnonHugePages") - before
	// A 4 MiB mapping holds one or two aligned 2 MiB ranges: at least a
	// quarter of it is huge when the kernel found free huge pages.
	if huge < objs*size/4 {
		t.Errorf("MADV_HUGEPAGE (host mode %s): AnonHugePages grew by %d KiB over %d MiB populated, want at least a quarter", mode, huge>>10, objs*size/mib)
	}
	if mode == "always" {
		e2, _ := newEngine(t, 46)
		before = smapsBytes(t, "AnonHugePages")
		mustFill(t, e2, FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: objs, Populate: PopulateWrite, Huge: HugeNoTHP})
		if grown := smapsBytes(t, "AnonHugePages") - before; grown > 0 {
			t.Errorf("MADV_NOHUGEPAGE in mode always: AnonHugePages grew by %d KiB", grown>>10)
		}
	}
}

// TestPagesOnlyForMmap: Populate and Huge are refused for other backends.
func TestPagesOnlyForMmap(t *testing.T) {
	e, _ := newEngine(t, 47)
	for _, spec := range []FillSpec{
		{Via: Malloc, Dist: Dist{Kind: Fixed, Value: 64}, MaxCount: 1, Populate: PopulateWrite},
		{Via: Malloc, Dist: Dist{Kind: Fixed, Value: 64}, MaxCount: 1, Huge: HugeTHP},
		{Via: Mmap, Dist: Dist{Kind: Fixed, Value: 64}, MaxCount: 1, Populate: 9},
	} {
		if _, err := e.Fill(spec, 1<<62); err == nil {
			t.Errorf("Fill(%+v) accepted", spec)
		}
	}
	if c := e.Counters().Load(); c.LiveObjects != 0 {
		t.Errorf("a refused fill allocated: %+v", c)
	}
}

func thpMode(t *testing.T) string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		t.Skipf("no transparent huge pages: %v", err)
	}
	s := string(b)
	i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']')
	if i < 0 || j < i {
		t.Fatalf("THP mode %q has no [selected] value", s)
	}
	return s[i+1 : j]
}

// smapsBytes reads a kB field of /proc/self/smaps_rollup in bytes.
func smapsBytes(t *testing.T, field string) int64 {
	t.Helper()
	return kbField(t, "/proc/self/smaps_rollup", field)
}

// TestLockMakesResidentAndLocked: Lock mlocks each mapping: untouched, the
// fill is resident and counted in VmLck.
func TestLockMakesResidentAndLocked(t *testing.T) {
	const objs, size = 8, mib
	e, _ := newEngine(t, 48)
	lck, anon := statusBytes(t, "VmLck"), statusBytes(t, "RssAnon")
	r, err := e.Fill(FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: objs, Lock: true}, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status == FillENOMEM {
		// Without CAP_IPC_LOCK, RLIMIT_MEMLOCK (often 8 MiB) bounds it.
		testenv.Missing(t, "mlock of %d MiB refused (%v): RLIMIT_MEMLOCK too low for this test", objs*size/mib, r.Errno)
	}
	if got := statusBytes(t, "VmLck") - lck; got != objs*size {
		t.Errorf("VmLck grew by %d KiB, want %d", got>>10, objs*size>>10)
	}
	if got := statusBytes(t, "RssAnon") - anon; got < objs*size-rssSlack {
		t.Errorf("RssAnon grew by %d KiB for %d MiB locked untouched, want all of it", got>>10, objs*size/mib)
	}
}

// TestHugeTLB: explicit 2 MiB pages come from the hugetlb pool: with the
// pool empty the fill fails (ENOMEM at mmap: the pages are reserved then);
// with pages reserved, objects are rounded up to whole pages and counted
// in HugetlbPages, not in RssAnon. The pool's previous size is restored.
func TestHugeTLB(t *testing.T) {
	const pool = "/sys/kernel/mm/hugepages/hugepages-2048kB/"
	prev, err := os.ReadFile(pool + "nr_hugepages")
	if err != nil {
		testenv.Missing(t, "no 2 MiB hugetlb pool: %v", err)
	}
	testenv.RequireRoot(t)
	free := func() int {
		b, err := os.ReadFile(pool + "free_hugepages")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	spec := FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: 3 * mib}, MaxCount: 4, Populate: PopulateWrite, Huge: HugeTLB2M}
	if free() == 0 {
		e, _ := newEngine(t, 49)
		if r, err := e.Fill(spec, 1<<62); err != nil || r.Status != FillENOMEM || r.Count != 0 {
			t.Errorf("a 2 MiB hugetlb fill with an empty pool: %+v %v, want ENOMEM at once", r, err)
		}
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
	if free() < 8 {
		testenv.Missing(t, "the kernel gave %d of 8 huge pages (memory too fragmented)", free())
	}
	e, c := newEngine(t, 50)
	huge, anon := statusBytes(t, "HugetlbPages"), statusBytes(t, "RssAnon")
	r := mustFill(t, e, spec)
	if r.Status != FillDone || r.Bytes != 4*4*mib {
		t.Fatalf("fill %+v: want 4 objects of 3 MiB rounded to 4 MiB (16 MiB)", r)
	}
	if got := statusBytes(t, "HugetlbPages") - huge; got != 16*mib {
		t.Errorf("HugetlbPages grew by %d KiB, want 16 MiB", got>>10)
	}
	if got := statusBytes(t, "RssAnon") - anon; got > rssSlack {
		t.Errorf("RssAnon grew by %d KiB: huge pages are not anon RSS", got>>10)
	}
	if got := c.Load().LiveBytes; got != 16*mib {
		t.Errorf("live bytes %d, want 16 MiB", got)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if got := free(); got < 8 {
		t.Errorf("%d huge pages free after the engine unmapped its 8", got)
	}
}
