package worker

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/wire"
)

// TestRestartThreads runs a pool in this process: after restart_threads,
// threads 1..N-1 are new OS threads (new ids, the old ones gone from
// /proc/self/task) and free the objects their predecessors allocated.
func TestRestartThreads(t *testing.T) {
	// Under the race runtime a locked thread's exit was seen to take over
	// 5 s: the exit is waited for with a deadline, so this is a timed check.
	testenv.SkipUnderRace(t)
	// Go keeps an OS thread that forked a child with Pdeathsig from exiting
	// (the child's parent-death signal follows the forking thread), and a
	// new locked goroutine may land on such a thread: after the other
	// tests of this package started workers, that thread would never go.
	// So the check runs in a fresh process of this test binary, as it does
	// in a real worker, which starts no children.
	if os.Getenv("MEMSTORM_TEST_FRESH") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRestartThreads$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "MEMSTORM_TEST_FRESH=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestRestartThreads") {
			t.Fatalf("TestRestartThreads in a fresh process: %v\n%s", err, out)
		}
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sc, err := scenarios.Parse("restart.yaml", []byte(`
workers: 3
phases:
  - {name: fill, allocate: {size: 256, until: {count: 300}}}
  - {name: restart, restart_threads: true}
  - {name: drop, free: all}
`))
	if err != nil {
		t.Fatal(err)
	}
	page, err := wire.NewStatusPage(sc.Workers)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newWorkerPool(sc, page, nil, -1, 0, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, th := range p.threads[1:] {
			func() {
				defer func() { _ = recover() }() // already closed by a restart that failed
				close(th.cmds)
			}()
		}
	}()
	tids := func() []int {
		ids := make([]int, len(p.threads))
		p.each(func(th *thread, _ *alloc.Engine) { ids[th.idx] = unix.Gettid() })
		return ids
	}
	steps := sc.Steps()
	a := alloc.Detect()
	if _, err := p.run(steps[0], a); err != nil {
		t.Fatal(err)
	}
	before := tids()
	if _, err := p.run(steps[1], a); err != nil {
		t.Fatal(err)
	}
	after := tids()
	if after[0] != before[0] {
		t.Errorf("thread 0 changed from %d to %d; the main thread must stay", before[0], after[0])
	}
	for i := 1; i < len(before); i++ {
		if after[i] == before[i] {
			t.Errorf("thread %d kept OS thread %d across the restart", i, before[i])
		}
		if _, err := os.Stat("/proc/self/task/" + itoa(before[i])); !os.IsNotExist(err) {
			t.Errorf("old thread %d (%d) still in /proc/self/task (stat: %v)", i, before[i], err)
		}
	}
	if live := page.Totals().Live; live <= 0 {
		t.Fatalf("live after the restart = %d, want the fill's objects still live", live)
	}
	if _, err := p.run(steps[2], a); err != nil {
		t.Fatal(err)
	}
	if live := page.Totals().Live; live != 0 {
		t.Errorf("live after the new threads freed everything = %d, want 0", live)
	}
}

func itoa(v int) string { return strconv.Itoa(v) }
