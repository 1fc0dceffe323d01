package procfs

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const kB = 1024

func TestStatusFixtures(t *testing.T) {
	for _, tc := range []struct {
		host string
		want Status
	}{
		{"v1-hybrid", Status{
			State: 'R', VmPeak: 82356 * kB, VmSize: 82356 * kB, VmHWM: 79328 * kB, VmRSS: 79328 * kB,
			RssAnon: 72676 * kB, RssFile: 6652 * kB, VmData: 73736 * kB, VmStk: 132 * kB, VmPTE: 204 * kB,
			Threads: 1,
		}},
		{"v2", Status{
			State: 'R', VmPeak: 88904 * kB, VmSize: 88904 * kB, VmHWM: 81588 * kB, VmRSS: 81588 * kB,
			RssAnon: 74052 * kB, RssFile: 7536 * kB, VmData: 75556 * kB, VmStk: 136 * kB, VmPTE: 212 * kB,
			Threads: 1,
		}},
	} {
		t.Run(tc.host, func(t *testing.T) {
			got, err := hostFS[tc.host].Self().Status()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Status() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatusCases(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantErr error // nil: parses
	}{
		{"status-blank-lines", nil},
		{"status-zombie", ErrProcessGone},
		{"status-missing-vmrss", ErrMalformed},
		{"status-truncated-line", ErrMalformed},
		{"status-bad-unit", ErrMalformed},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseStatus(openCase(t, tc.file))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("ParseStatus error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if got != (Status{}) {
					t.Errorf("ParseStatus returned %+v with error, want zero", got)
				}
				return
			}
			want, err := hostFS["v1-hybrid"].Self().Status() // the case was made from this file
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("blank lines changed the result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatusEmpty(t *testing.T) {
	var s Status
	if err := parseStatus(nil, &s); !errors.Is(err, ErrProcessGone) {
		t.Errorf("parseStatus(empty) = %v, want ErrProcessGone", err)
	}
}

func TestStatusMissingFile(t *testing.T) {
	_, err := NewFS("testdata/nonexistent").Self().Status()
	if err == nil {
		t.Fatal("Status of a missing file succeeded")
	}
}

// The real /proc/self/status of this test: the kernel's own invariants.
func TestStatusSelf(t *testing.T) {
	s, err := DefaultFS.Self().Status()
	if err != nil {
		t.Fatal(err)
	}
	// task_mem prints VmRSS as the sum of the three counters it also prints.
	if s.VmRSS != s.RssAnon+s.RssFile+s.RssShmem {
		t.Errorf("VmRSS %d != RssAnon %d + RssFile %d + RssShmem %d", s.VmRSS, s.RssAnon, s.RssFile, s.RssShmem)
	}
	// The high-water marks are raised to the current value as they are printed.
	if s.VmHWM < s.VmRSS || s.VmPeak < s.VmSize {
		t.Errorf("VmHWM %d < VmRSS %d or VmPeak %d < VmSize %d", s.VmHWM, s.VmRSS, s.VmPeak, s.VmSize)
	}
	if s.VmRSS <= 0 || s.VmSize < s.VmRSS || s.VmData <= 0 {
		t.Errorf("implausible sizes: %+v", s)
	}
	// A Go test binary runs at least a few OS threads (main, sysmon, GC workers).
	if s.Threads < 2 {
		t.Errorf("Threads = %d, want >= 2", s.Threads)
	}
	// The state is the main thread's, which may sleep while another thread reads.
	if s.State != 'R' && s.State != 'S' {
		t.Errorf("State = %q, want R or S", s.State)
	}
}
