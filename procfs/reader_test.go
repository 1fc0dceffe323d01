package procfs

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newSelfReader(t testing.TB) *ProcessReader {
	t.Helper()
	r, err := DefaultFS.NewProcessReader(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// The reader and the pure parser must agree: on a fixture file (a regular
// file, read with pread too) they see the same bytes.
func TestProcessReaderFixtures(t *testing.T) {
	for _, host := range []string{"v1-hybrid", "v2"} {
		fsys := hostFS[host]
		t.Run(host, func(t *testing.T) {
			r, err := newProcessReader(fsys.Self())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var sm SmapsRollup
			if err := r.SmapsRollup(&sm); err != nil {
				t.Fatal(err)
			}
			want, err := fsys.Self().SmapsRollup()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, sm); diff != "" {
				t.Errorf("reader SmapsRollup (-want +got):\n%s", diff)
			}
		})
	}
}

// No such process directory: the reader is not made, and the error says why.
func TestProcessReaderMissingFile(t *testing.T) {
	_, err := newProcessReader(NewFS("testdata/nonexistent").Self())
	if !errors.Is(err, ErrProcessGone) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("newProcessReader(missing dir) = %v, want ErrProcessGone and fs.ErrNotExist", err)
	}
}

// A buffer smaller than the file is grown until one read holds it all.
func TestProcFileGrows(t *testing.T) {
	f, err := openProcFile("testdata/v1-hybrid/proc/self/status", 16)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	b, err := f.read()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/v1-hybrid/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(want) {
		t.Errorf("read %d bytes, want the whole %d-byte file", len(b), len(want))
	}
}

func TestProcessReaderSelf(t *testing.T) {
	r := newSelfReader(t)
	var sm SmapsRollup
	for i := 0; i < 3; i++ { // re-reads see fresh, consistent data
		if err := r.SmapsRollup(&sm); err != nil {
			t.Fatal(err)
		}
		st, err := DefaultFS.Self().Status()
		if err != nil {
			t.Fatal(err)
		}
		// status counters are per-CPU batched, smaps_rollup walks the page
		// tables: they agree to within the batches and the pages touched between.
		if d := sm.Rss - st.VmRSS; d < -8<<20 || d > 8<<20 {
			t.Errorf("smaps_rollup Rss %d vs status VmRSS %d", sm.Rss, st.VmRSS)
		}
	}
}

func TestProcessReaderNoAllocs(t *testing.T) {
	r := newSelfReader(t)
	var sm SmapsRollup
	var err error
	allocs := testing.AllocsPerRun(50, func() { err = r.SmapsRollup(&sm) })
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("SmapsRollup: %v allocations per read, want 0", allocs)
	}
}

func TestProcessReaderClosed(t *testing.T) {
	r := newSelfReader(t)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	var sm SmapsRollup
	if err := r.SmapsRollup(&sm); !errors.Is(err, os.ErrClosed) {
		t.Errorf("SmapsRollup after Close = %v, want os.ErrClosed", err)
	}
}

// A real child process: readable while alive, ErrProcessGone once killed
// (zombie, files still open) and once reaped.
func TestProcessReaderGone(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		skipOrFail(t, "cannot start sleep: "+err.Error())
	}
	pid := cmd.Process.Pid
	reaped := false
	t.Cleanup(func() {
		if !reaped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	r, err := DefaultFS.NewProcessReader(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var sm SmapsRollup
	if err := r.SmapsRollup(&sm); err != nil || sm.Rss <= 0 {
		t.Fatalf("alive: SmapsRollup = %+v, %v", sm, err)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// SIGKILL is asynchronous: wait (bounded) for the zombie to appear.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := DefaultFS.Proc(pid).Stat()
		if errors.Is(err, ErrProcessGone) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still alive 10 s after SIGKILL: %+v, %v", s, err)
		}
		time.Sleep(time.Millisecond)
	}
	checkGone := func(when string) {
		t.Helper()
		if err := r.SmapsRollup(&sm); !errors.Is(err, ErrProcessGone) {
			t.Errorf("%s: SmapsRollup = %v, want ErrProcessGone", when, err)
		}
		if sm != (SmapsRollup{}) {
			t.Errorf("%s: values left after ErrProcessGone: %+v", when, sm)
		}
	}
	checkGone("zombie")
	cmd.Wait()
	reaped = true
	checkGone("reaped")

	_, err = DefaultFS.NewProcessReader(pid)
	if !errors.Is(err, ErrProcessGone) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("NewProcessReader(reaped pid) = %v, want ErrProcessGone and fs.ErrNotExist", err)
	}
}
