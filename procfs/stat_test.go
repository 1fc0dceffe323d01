package procfs

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseStatCases(t *testing.T) {
	for _, tc := range []struct {
		file    string
		want    Stat
		wantErr error
	}{
		{file: "stat-comm-paren", want: Stat{ // comm "w) x (y"
			PID: 9077, State: 'S', PPID: 9074, MinFlt: 186, NumThreads: 1,
			StartTimeTicks: 40701, VSizeBytes: 4464640, RSSPages: 768,
		}},
		{file: "stat-zombie", wantErr: ErrProcessGone},
		{file: "stat-truncated", wantErr: ErrMalformed},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseStat(openCase(t, tc.file))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("ParseStat error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseStat mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatFixture(t *testing.T) {
	// Only the v1-hybrid host (this one) has a captured stat.
	got, err := hostFS["v1-hybrid"].Self().Stat()
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{PID: 9082, State: 'R', PPID: 9074, MinFlt: 118, NumThreads: 1,
		StartTimeTicks: 40702, VSizeBytes: 3133440, RSSPages: 411}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stat mismatch (-want +got):\n%s", diff)
	}
}

func TestParseStatShort(t *testing.T) {
	for _, in := range []string{"", "\n", "1", "1 (x", "1 (x)", "x (y) R 1", "1 (x) R 1 2 3 4 5 6 a 8 9 10 11 12"} {
		var s Stat
		if err := parseStat([]byte(in), &s); err == nil {
			t.Errorf("parseStat(%q) succeeded: %+v", in, s)
		}
	}
}

func TestStatSelf(t *testing.T) {
	s, err := DefaultFS.Self().Stat()
	if err != nil {
		t.Fatal(err)
	}
	if s.PID != os.Getpid() || s.PPID != os.Getppid() {
		t.Errorf("PID %d PPID %d, want %d %d", s.PID, s.PPID, os.Getpid(), os.Getppid())
	}
	if s.State != 'R' && s.State != 'S' { // the main thread's state
		t.Errorf("State = %q, want R or S", s.State)
	}
	// The Go runtime touched its heap and stacks: first touches are minor faults.
	if s.MinFlt == 0 {
		t.Error("MinFlt = 0 for a running Go program")
	}
	st, err := DefaultFS.Self().Status()
	if err != nil {
		t.Fatal(err)
	}
	// stat and status count the same pages; allow for per-CPU counter drift
	// and the pages touched between the two reads.
	rss := s.RSSPages * int64(os.Getpagesize())
	if d := rss - st.VmRSS; d < -8<<20 || d > 8<<20 {
		t.Errorf("stat RSS %d and status VmRSS %d differ by more than 8 MiB", rss, st.VmRSS)
	}
	if s.CPUTime() > time.Hour {
		t.Errorf("CPUTime = %v for a test process", s.CPUTime())
	}
}
