package alloc

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
)

// The RSS checks allow 4 MiB of noise: the Go runtime and test framework
// allocate too, but never megabytes in these short windows.
const rssSlack = 4 * mib

func TestMmapRSSFollowsTouch(t *testing.T) {
	const objs, size = 16, 2 * mib
	e, _ := newEngine(t, 41)

	before := statusBytes(t, "VmRSS")
	mustFill(t, e, FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: objs})
	untouched := statusBytes(t, "VmRSS") - before
	if untouched > rssSlack {
		t.Fatalf("untouched mmap of %d MiB grew RSS by %d KiB", objs*size/mib, untouched>>10)
	}

	before = statusBytes(t, "VmRSS")
	mustFill(t, e, FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: objs, Touch: true})
	touched := statusBytes(t, "VmRSS") - before
	if touched < objs*size-rssSlack || touched > objs*size+rssSlack {
		t.Fatalf("touched mmap of %d MiB grew RSS by %d KiB", objs*size/mib, touched>>10)
	}

	// DONTNEED on all 32 mmap objects: the 16 touched ones drop their pages.
	before = statusBytes(t, "VmRSS")
	b, n, err := e.Madvise(Selection{Pattern: All}, AdviceDontneed)
	if err != nil || n != 2*objs || b != 2*objs*size {
		t.Fatalf("Madvise = %d, %d, %v", b, n, err)
	}
	dropped := before - statusBytes(t, "VmRSS")
	if dropped < objs*size-rssSlack {
		t.Fatalf("madvise(DONTNEED) dropped RSS by %d KiB, want about %d MiB", dropped>>10, objs*size/mib)
	}
	if got := e.Counters().Load(); got.LiveObjects != 2*objs {
		t.Fatalf("madvise changed live objects: %+v", got)
	}
}

func TestMadviseSkipsNonMmapObjects(t *testing.T) {
	e, _ := newEngine(t, 42)
	mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed, Value: 8192}, MaxCount: 10})
	mustFill(t, e, FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: 5000}, MaxCount: 10})
	// Every other among the 10 mmap objects only, each page-rounded to 8 KiB.
	b, n, err := e.Madvise(Selection{Pattern: EveryNth, N: 2}, AdviceFree)
	if err != nil || n != 5 || b != 5*8192 {
		t.Fatalf("Madvise(every other, FREE) = %d, %d, %v; want 40960, 5", b, n, err)
	}
}

func TestMallocRSSFollowsTouch(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	e, _ := newEngine(t, 43)
	// Free heap pages left resident by earlier tests would be reused without
	// growing RSS: give them back first.
	if err := Trim(Detect()); err != nil {
		t.Fatal(err)
	}
	before := statusBytes(t, "VmRSS")
	// 64 KiB objects sit below glibc's mmap threshold: these pages are heap pages.
	mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed, Value: 64 << 10}, MaxBytes: 24 * mib, Touch: true})
	if grew := statusBytes(t, "VmRSS") - before; grew < 24*mib-rssSlack || grew > 24*mib+rssSlack {
		t.Fatalf("touching 24 MiB of malloc objects grew RSS by %d KiB", grew>>10)
	}
}

func TestENOMEMLeaksNothing(t *testing.T) {
	const huge = int64(1) << 50 // 1 PiB: beyond the 128 TiB user address space
	for _, via := range []Via{Malloc, Calloc, Realloc, PosixMemalign, Mmap, Go} {
		t.Run(via.String(), func(t *testing.T) {
			e, c := newEngine(t, 44)
			mustFill(t, e, FillSpec{Via: via, Dist: Dist{Kind: Fixed, Value: 1000}, MaxCount: 10})
			// glibc answers a failed malloc by retrying in another arena, which
			// may reserve a new 64 MiB arena once: fail once before measuring.
			mustFill(t, e, FillSpec{Via: via, Dist: Dist{Kind: Fixed, Value: huge}})
			vmBefore := statusBytes(t, "VmSize")
			heapBefore := Heap(Detect())
			r := mustFill(t, e, FillSpec{Via: via, Dist: Dist{Kind: Fixed, Value: huge}})
			want := FillResult{Status: FillENOMEM, Errno: syscall.ENOMEM, FailedSize: huge}
			if r != want {
				t.Fatalf("Fill(1 PiB) = %+v, want %+v", r, want)
			}
			got := c.Load()
			if got.LiveObjects != 10 || got.LiveBytes != 10000 || got.Failures != 2 {
				t.Fatalf("counters after ENOMEM: %+v", got)
			}
			if via == Go {
				return // the Go heap is not the allocator under test
			}
			// Realloc grows 16 B -> 1 PiB through terabyte mappings before failing;
			// all of them must be gone.
			// A leak here would be terabytes (the chain's last mappings);
			// the bound tolerates what this process may map meanwhile for
			// other reasons: a new glibc arena (64 MiB) and a thread stack
			// (8 MiB) when the goroutine lands on another thread.
			if grew := statusBytes(t, "VmSize") - vmBefore; grew > 256<<20 {
				t.Fatalf("address space grew by %d KiB after a failed fill", grew>>10)
			}
			if h := Heap(Detect()); h.InUse-heapBefore.InUse > 64<<10 {
				t.Fatalf("malloc in-use grew by %d B after a failed fill", h.InUse-heapBefore.InUse)
			}
		})
	}
}

func TestDetectGlibc(t *testing.T) {
	a := Detect()
	if a.Name != NameGlibc || !strings.Contains(a.Path, "libc.so.6") || !regexp.MustCompile(`^2\.\d+$`).MatchString(a.Version) {
		t.Fatalf("Detect() = %+v, want glibc 2.x from libc.so.6", a)
	}
}

func TestHeapGlibcCountsFill(t *testing.T) {
	a := Detect()
	if a.Name != NameGlibc {
		t.Skipf("allocator is %s", a.Name)
	}
	e, _ := newEngine(t, 45)
	before := Heap(a)
	if before.InUse < 0 || before.Held < before.InUse || before.Arenas < 1 || before.Retained != -1 {
		t.Fatalf("Heap before = %+v", before)
	}
	r := mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Uniform, Min: 16, Max: 1 << 20}, MaxBytes: 16 * mib})
	after := Heap(a)
	// glibc adds 8-16 B of chunk header per object, so in-use grows at least by the bytes asked.
	if grew := after.InUse - before.InUse; grew < r.Bytes || grew > r.Bytes+r.Count*32+mib {
		t.Fatalf("InUse grew by %d for %d bytes in %d objects", grew, r.Bytes, r.Count)
	}
	if after.Held < after.InUse {
		t.Fatalf("Heap after = %+v: held < in use", after)
	}
}

func TestTrimGlibcReturnsFreedHeap(t *testing.T) {
	a := Detect()
	if a.Name != NameGlibc {
		t.Skipf("allocator is %s", a.Name)
	}
	e, c := newEngine(t, 46)
	const size = 2048 // far below the mmap threshold: arena pages
	mustFill(t, e, FillSpec{Via: Malloc, Dist: Dist{Kind: Fixed, Value: size}, MaxBytes: 32 * mib, Touch: true})
	n := c.Load().LiveObjects
	// Keep only the newest object: it pins the top of the heap, so free()
	// cannot shrink the heap by itself and only malloc_trim gives pages back.
	if _, _, err := e.Free(Selection{Pattern: Oldest, Fraction: float64(n-1) / float64(n)}); err != nil {
		t.Fatal(err)
	}
	if live := c.Load().LiveObjects; live != 1 {
		t.Fatalf("%d objects left, want 1", live)
	}
	before := statusBytes(t, "VmRSS")
	if err := Trim(a); err != nil {
		t.Fatal(err)
	}
	if dropped := before - statusBytes(t, "VmRSS"); dropped < 24*mib {
		t.Fatalf("malloc_trim returned %d KiB of about 32 MiB free heap", dropped>>10)
	}
}

func TestTrimStepsGlibc(t *testing.T) {
	a := Detect()
	if a.Name != NameGlibc {
		t.Skipf("allocator is %s", a.Name)
	}
	steps, err := TrimSteps(a)
	if err != nil || !strings.HasPrefix(steps, "malloc_trim(0) (") {
		t.Fatalf("TrimSteps = %q, %v; want malloc_trim(0) and its outcome", steps, err)
	}
	// glibc has no call that flushes a thread's tcache.
	if _, err := TrimThread(a); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("TrimThread under glibc = %v, want ErrUnsupported", err)
	}
}

func TestMallopt(t *testing.T) {
	if Detect().Name != NameGlibc {
		if err := Mallopt("M_MMAP_THRESHOLD", 1<<20); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("Mallopt off glibc = %v, want ErrUnsupported", err)
		}
		return
	}
	if err := Mallopt("M_TOP_PAD", 128<<10); err != nil {
		t.Fatalf("Mallopt(M_TOP_PAD): %v", err)
	}
	for _, tc := range []struct {
		param string
		value int64
	}{
		{"M_NOPE", 1},
		{"M_ARENA_MAX", 1 << 40},
	} {
		if err := Mallopt(tc.param, tc.value); err == nil {
			t.Errorf("Mallopt(%s, %d) accepted", tc.param, tc.value)
		}
	}
}

// freshProcessEnv marks a test binary re-run for one test in a process of
// its own.
const freshProcessEnv = "MEMSTORM_ALLOC_FRESH_PROCESS"

// inFreshProcess runs the calling test again in a process of its own and
// returns false (the caller returns), or returns true in that process. A
// test that reads the process's own RSS needs it: heap pages that earlier
// tests of this binary freed but left resident are reused without growing
// RSS, and blocks freed into the heap are not given back. Such tests also
// measure, so they skip under the race detector.
func inFreshProcess(t *testing.T) bool {
	t.Helper()
	if os.Getenv(freshProcessEnv) != "" {
		return true
	}
	testenv.SkipUnderRace(t)
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), freshProcessEnv+"=1")
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil && strings.Contains(string(out), "--- SKIP: "+t.Name()):
		t.Skipf("in a fresh process:\n%s", out) // a requirement the child lacked is the test's skip, not a failure
	case err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Fatalf("in a fresh process: %v\n%s", err, out)
	}
	return false
}
