package alloc

import (
	"os"
	"strings"
	"testing"
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
