package worker

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/scenarios"
)

const thpChildEnv = "MEMSTORM_TEST_THP_CHILD"

// thpRegion is what the child maps: four huge pages' worth, 2 MiB aligned.
const thpRegion = 8 << 20

// TestTHPChild is the child process of TestTHPModeTakesEffect: it sets
// the THP mode named in its environment, maps 2 MiB-aligned memory
// madvised MADV_HUGEPAGE, touches it, and prints its AnonHugePages.
func TestTHPChild(t *testing.T) {
	mode := os.Getenv(thpChildEnv)
	if mode == "" {
		t.Skip("the child of TestTHPModeTakesEffect")
	}
	if _, err := SetTHP(scenarios.THP(mode)); err != nil {
		t.Fatal(err)
	}
	const huge = 2 << 20
	mem, err := unix.Mmap(-1, 0, thpRegion+huge, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	if a := int(uintptr(unsafe.Pointer(&mem[0])) % huge); a != 0 {
		off = huge - a
	}
	region := mem[off : off+thpRegion]
	if err := unix.Madvise(region, unix.MADV_HUGEPAGE); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(region); i += 4096 {
		region[i] = 1
	}
	sm, err := procfs.DefaultFS.Self().SmapsRollup()
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("AnonHugePages=" + strconv.FormatInt(sm.AnonHugePages, 10) + "\n")
}

// TestTHPModeTakesEffect: under thp: never a worker gets no huge page
// even where it madvises MADV_HUGEPAGE on 2 MiB-aligned memory, which
// under the host's own mode (madvise or always) gets huge pages. Under
// thp: madvise that memory still gets them.
func TestTHPModeTakesEffect(t *testing.T) {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(b), "[never]") {
		t.Skipf("no THP on this host to take away (%q, %v)", b, err)
	}
	anonHuge := func(mode scenarios.THP) int64 {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestTHPChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), thpChildEnv+"="+string(mode))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with thp %s: %v\n%s", mode, err, out)
		}
		_, v, ok := strings.Cut(string(out), "AnonHugePages=")
		n, perr := strconv.ParseInt(strings.Fields(v + " x")[0], 10, 64)
		if !ok || perr != nil {
			t.Fatalf("child with thp %s printed no AnonHugePages:\n%s", mode, out)
		}
		t.Logf("thp %s: AnonHugePages %d KiB", mode, n>>10)
		return n
	}
	// The host's mode gives the madvised region huge pages: the check
	// below can fail.
	if got := anonHuge(scenarios.THPHost); got < 2<<20 {
		t.Fatalf("under the host's mode (%s) the madvised region got %d bytes of huge pages, want at least one 2 MiB page: no huge page to be had on this host now", strings.TrimSpace(string(b)), got)
	}
	if got := anonHuge(scenarios.THPNever); got != 0 {
		t.Errorf("thp: never: AnonHugePages %d, want 0", got)
	}
	if got := anonHuge(scenarios.THPMadvise); got < 2<<20 {
		t.Errorf("thp: madvise: the madvised region got %d bytes of huge pages, want at least 2 MiB", got)
	}
}

// SetTHP's restore puts back the mode the process had.
func TestSetTHPRestores(t *testing.T) {
	get := func() int {
		v, err := unix.PrctlRetInt(unix.PR_GET_THP_DISABLE, 0, 0, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := get()
	restore, err := SetTHP(scenarios.THPNever)
	if err != nil {
		t.Fatal(err)
	}
	if get()&1 != 1 {
		t.Errorf("PR_GET_THP_DISABLE %d after thp: never, want disabled", get())
	}
	// A process started now inherits it, across fork and exec: so the
	// workers the supervisor starts have it from their first page.
	out, err := exec.Command("/bin/cat", "/proc/self/status").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "THP_enabled:\t0") {
		t.Errorf("a child started under thp: never does not inherit it:\n%s", out)
	}
	restore()
	if got := get(); got != before {
		t.Errorf("PR_GET_THP_DISABLE %d after restore, want %d as before", got, before)
	}
}
