package sample

import (
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/procfs"
)

func sharedPage(t *testing.T, _ int) []byte {
	t.Helper()
	mem, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	return mem
}

func word(mem []byte, i int) *int64 { return (*int64)(unsafe.Pointer(&mem[i*8])) }

func openProc(t *testing.T, pid string) (status, stat *os.File) {
	t.Helper()
	var err error
	if status, err = os.Open("/proc/" + pid + "/status"); err != nil {
		t.Fatal(err)
	}
	if stat, err = os.Open("/proc/" + pid + "/stat"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { status.Close(); stat.Close() })
	return status, stat
}

// TestRecordsMatchProc: the C parser reads the same figures as the Go
// parsers of package procfs, and sums the page's blocks.
func TestRecordsMatchProc(t *testing.T) {
	status, stat := openProc(t, "self")
	page := sharedPage(t, 3)
	atomic.StoreInt64(word(page, 1), 7) // header word 1
	for b := 0; b < 3; b++ {
		atomic.StoreInt64(word(page, Words*(1+b)), int64(100*(b+1))) // word 0 of each block
		atomic.StoreInt64(word(page, Words*(1+b)+2), 1)
	}
	th, err := New(Source{Procs: []Proc{{Status: status, Stat: stat, Page: page, Blocks: 3}}}, Now(), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Stop()
	r, ok := th.Once()
	if !ok {
		t.Fatal("Once on this live process returned not ok")
	}
	want, err := procfs.DefaultFS.Self().Status()
	if err != nil {
		t.Fatal(err)
	}
	// Both reads are of this process, a moment apart: RSS may move a little.
	if d := r.RSS - want.VmRSS; d < -4<<20 || d > 4<<20 {
		t.Errorf("RSS %d, procfs says %d", r.RSS, want.VmRSS)
	}
	if r.Anon <= 0 || r.File <= 0 || r.Anon+r.File+r.Shmem != r.RSS {
		t.Errorf("anon %d + file %d + shmem %d != RSS %d", r.Anon, r.File, r.Shmem, r.RSS)
	}
	st, _ := procfs.DefaultFS.Self().Stat()
	if r.MinFlt <= 0 || r.MinFlt > int64(st.MinFlt) {
		t.Errorf("minflt %d, procfs later says %d", r.MinFlt, st.MinFlt)
	}
	if r.Usage != -1 {
		t.Errorf("usage without a cgroup file = %d, want -1", r.Usage)
	}
	if r.Header[1] != 7 || r.Sums[0] != 600 || r.Sums[2] != 3 {
		t.Errorf("header %v sums %v: want header[1]=7, sums[0]=600, sums[2]=3", r.Header, r.Sums)
	}
}

// TestThreadRecordsInOrder: the thread's records come in time order, at
// most one per interval (a late wake-up skips, never bursts), and page
// faults taken between records show.
func TestThreadRecordsInOrder(t *testing.T) {
	status, stat := openProc(t, "self")
	page := sharedPage(t, 1)
	every := 5 * time.Millisecond
	th, err := New(Source{Procs: []Proc{{Status: status, Stat: stat, Page: page, Blocks: 1}}}, Now(), every)
	if err != nil {
		t.Fatal(err)
	}
	if err := th.Start(); err != nil {
		t.Fatal(err)
	}
	var recs []Raw
	// Three rounds at least: the first record may fall inside round 1, but
	// round 2 lies wholly between the first and the last record.
	for rounds := 0; rounds < 3 || len(recs) < 6; rounds++ {
		// Fresh pages each round: 4096 first-touch faults.
		mem, err := unix.Mmap(-1, 0, 16<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = 1
		}
		unix.Munmap(mem)
		time.Sleep(20 * time.Millisecond)
		recs = th.Drain(recs)
	}
	th.Stop()
	// The thread wakes on a fixed grid of ticks: a late wake-up shifts one
	// record, it never adds one, so there are no more records than ticks.
	if span := recs[len(recs)-1].T - recs[0].T; int64(len(recs)) > int64(span/every)+2 {
		t.Errorf("%d records in %v at one per %v: a burst", len(recs), span, every)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].T <= recs[i-1].T {
			t.Errorf("record %d at %v is not after record %d at %v", i, recs[i].T, i-1, recs[i-1].T)
		}
		if recs[i].MinFlt < recs[i-1].MinFlt {
			t.Errorf("minflt went back from %d to %d", recs[i-1].MinFlt, recs[i].MinFlt)
		}
	}
	// At least one round of 4096 faults falls between the first and the
	// last record.
	if recs[len(recs)-1].MinFlt-recs[0].MinFlt < 4096 {
		t.Errorf("minflt grew by %d while 16 MiB were touched per round", recs[len(recs)-1].MinFlt-recs[0].MinFlt)
	}
	if th.Dropped() != 0 {
		t.Errorf("%d records dropped", th.Dropped())
	}
}

// TestGoneProcess: a reaped process gives no record.
func TestGoneProcess(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	status, stat := openProc(t, pid)
	page := sharedPage(t, 1)
	th, err := New(Source{Procs: []Proc{{Status: status, Stat: stat, Page: page, Blocks: 1}}}, Now(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Stop()
	if _, ok := th.Once(); !ok {
		t.Fatal("no record of a live sleep")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if r, ok := th.Once(); ok {
		t.Errorf("a record of a reaped process: %+v", r)
	}
}

// TestSeveralProcesses: a record sums the live processes, and a process
// that is gone drops out of the sum and of the alive mask.
func TestSeveralProcesses(t *testing.T) {
	var procs []Proc
	var cmds []*exec.Cmd
	for i := 0; i < 3; i++ {
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		waitAsleep(t, cmd.Process.Pid)
		status, stat := openProc(t, strconv.Itoa(cmd.Process.Pid))
		page := sharedPage(t, 1)
		atomic.StoreInt64(word(page, 0), int64(10*(i+1))) // header word 0
		atomic.StoreInt64(word(page, Words), int64(i+1))  // block word 0
		procs = append(procs, Proc{Status: status, Stat: stat, Page: page, Blocks: 1})
	}
	th, err := New(Source{Procs: procs}, Now(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Stop()
	r, ok := th.Once()
	if !ok || r.Alive != 0b111 || r.Header[0] != 10 || r.HeaderSums[0] != 60 || r.Sums[0] != 6 {
		t.Fatalf("three live sleeps: ok %v alive %b header %d hsum %d sum %d", ok, r.Alive, r.Header[0], r.HeaderSums[0], r.Sums[0])
	}
	_ = cmds[0].Process.Kill()
	_ = cmds[0].Wait()
	r, ok = th.Once()
	if !ok || r.Alive != 0b110 || r.Header[0] != 20 || r.HeaderSums[0] != 50 || r.Sums[0] != 5 {
		t.Fatalf("after the first is reaped: ok %v alive %b header %d hsum %d sum %d", ok, r.Alive, r.Header[0], r.HeaderSums[0], r.Sums[0])
	}
	// RSS is the survivors' (idle sleeps: their RSS holds still).
	var want int64
	for _, c := range cmds[1:] {
		st, err := procfs.DefaultFS.Proc(c.Process.Pid).Status()
		if err != nil {
			t.Fatal(err)
		}
		want += st.VmRSS
	}
	if d := r.RSS - want; d < -256<<10 || d > 256<<10 {
		t.Errorf("RSS of the two survivors %d, their status files say %d", r.RSS, want)
	}
}

// waitAsleep waits until pid has exec'd sleep and sleeps in it, so that its
// RSS holds still.
func waitAsleep(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		st, err := procfs.DefaultFS.Proc(pid).Status()
		if err == nil && string(comm) == "sleep\n" && st.State == 'S' {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("process %d never went to sleep", pid)
}

// TestCgroupSwap: the swap figure is v2 memory.swap.current as read, or v1
// memsw less usage; -1 without a file (fixtures from package cgroup).
func TestCgroupSwap(t *testing.T) {
	open := func(name string) *os.File {
		t.Helper()
		f, err := os.Open("../cgroup/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	status, stat := openProc(t, "self")
	page := sharedPage(t, 1)
	for _, tc := range []struct {
		name        string
		usage, swap *os.File
		memsw       bool
		want        int64
	}{
		{"none", open("v2/swapped/memory.current"), nil, false, -1},
		{"v2", open("v2/swapped/memory.current"), open("v2/swapped/memory.swap.current"), false, 8 << 20},
		{"v1", open("v1/swapped/memory.usage_in_bytes"), open("v1/swapped/memory.memsw.usage_in_bytes"), true, 8 << 20},
	} {
		th, err := New(Source{Procs: []Proc{{Status: status, Stat: stat, Page: page, Blocks: 1}}, Usage: tc.usage, Swap: tc.swap, SwapMemsw: tc.memsw}, Now(), 10*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := th.Once()
		th.Stop()
		if !ok || r.CgroupSwap != tc.want {
			t.Errorf("%s: cgroup swap %d (ok %v), want %d", tc.name, r.CgroupSwap, ok, tc.want)
		}
	}
}
