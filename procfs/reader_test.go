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

// The reader and the pure parsers must agree: on fixture files (regular
// files, read with pread too) they see the same bytes.
// Only the v1-hybrid tree has a stat fixture, which NewReader opens.
func TestProcessReaderFixtures(t *testing.T) {
	for _, host := range []string{"v1-hybrid"} {
		fsys := hostFS[host]
		t.Run(host, func(t *testing.T) {
			r, err := fsys.Self().NewReader()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var st Status
			if err := r.Status(&st); err != nil {
				t.Fatal(err)
			}
			want, err := fsys.Self().Status()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, st); diff != "" {
				t.Errorf("reader Status (-want +got):\n%s", diff)
			}
			var sm SmapsRollup
			if err := r.SmapsRollup(&sm); err != nil {
				t.Fatal(err)
			}
			wantSm, err := fsys.Self().SmapsRollup()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantSm, sm); diff != "" {
				t.Errorf("reader SmapsRollup (-want +got):\n%s", diff)
			}
		})
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
	var st Status
	var s Stat
	var sm SmapsRollup
	for i := 0; i < 3; i++ { // re-reads see fresh, consistent data
		if err := r.Status(&st); err != nil {
			t.Fatal(err)
		}
		if err := r.Stat(&s); err != nil {
			t.Fatal(err)
		}
		if err := r.SmapsRollup(&sm); err != nil {
			t.Fatal(err)
		}
		if st.VmRSS != st.RssAnon+st.RssFile+st.RssShmem || st.VmRSS <= 0 {
			t.Errorf("status: %+v", st)
		}
		if s.PID != os.Getpid() || (s.State != 'R' && s.State != 'S') {
			t.Errorf("stat: %+v", s)
		}
		// status counters are per-CPU batched, smaps_rollup walks the page
		// tables: they agree to within the batches and the pages touched between.
		if d := sm.Rss - st.VmRSS; d < -8<<20 || d > 8<<20 {
			t.Errorf("smaps_rollup Rss %d vs status VmRSS %d", sm.Rss, st.VmRSS)
		}
	}
	if r.PID() != os.Getpid() {
		t.Errorf("PID() = %d", r.PID())
	}
}

func TestProcessReaderNoAllocs(t *testing.T) {
	r := newSelfReader(t)
	var st Status
	var s Stat
	var sm SmapsRollup
	for name, read := range map[string]func() error{
		"Status":      func() error { return r.Status(&st) },
		"Stat":        func() error { return r.Stat(&s) },
		"SmapsRollup": func() error { return r.SmapsRollup(&sm) },
	} {
		var err error
		allocs := testing.AllocsPerRun(50, func() { err = read() })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if allocs != 0 {
			t.Errorf("%s: %v allocations per read, want 0", name, allocs)
		}
	}
}

func TestProcessReaderClosed(t *testing.T) {
	r := newSelfReader(t)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	var st Status
	if err := r.Status(&st); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Status after Close = %v, want os.ErrClosed", err)
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
	var st Status
	var s Stat
	var sm SmapsRollup
	if err := r.Status(&st); err != nil || st.VmRSS <= 0 {
		t.Fatalf("alive: Status = %+v, %v", st, err)
	}
	if err := r.Stat(&s); err != nil || s.PID != pid {
		t.Fatalf("alive: Stat = %+v, %v", s, err)
	}
	if err := r.SmapsRollup(&sm); err != nil || sm.Rss <= 0 {
		t.Fatalf("alive: SmapsRollup = %+v, %v", sm, err)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// SIGKILL is asynchronous: wait (bounded) for the zombie to appear.
	deadline := time.Now().Add(10 * time.Second)
	for r.Stat(&s) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("still alive 10 s after SIGKILL: %+v", s)
		}
		time.Sleep(time.Millisecond)
	}
	checkGone := func(when string) {
		t.Helper()
		for name, err := range map[string]error{
			"Status": r.Status(&st), "Stat": r.Stat(&s), "SmapsRollup": r.SmapsRollup(&sm),
		} {
			if !errors.Is(err, ErrProcessGone) {
				t.Errorf("%s: %s = %v, want ErrProcessGone", when, name, err)
			}
		}
		if st != (Status{}) || s != (Stat{}) || sm != (SmapsRollup{}) {
			t.Errorf("%s: values left after ErrProcessGone: %+v %+v %+v", when, st, s, sm)
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
