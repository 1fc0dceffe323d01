package procfs

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseBootTimeCases(t *testing.T) {
	for _, tc := range []struct {
		file    string
		want    int64
		wantErr error
	}{
		{"system-stat", 1796091680, nil},
		{"system-stat-no-btime", 0, ErrMalformed},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseBootTime(openCase(t, tc.file))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) || got != tc.want {
				t.Errorf("ParseBootTime = %d, %v; want %d, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	for _, in := range []string{"btime x\n", "btime -5\n", "btime\n", ""} {
		if got, err := ParseBootTime(stringsReader(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseBootTime(%q) = %d, %v; want ErrMalformed", in, got, err)
		}
	}
}

// The live btime against sysinfo's uptime: both say when the system booted.
func TestBootTimeReal(t *testing.T) {
	bt, err := DefaultFS.BootTime()
	if err != nil {
		t.Fatal(err)
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	if d := time.Now().Unix() - int64(si.Uptime) - bt; d < -2 || d > 2 {
		t.Errorf("btime %d is %d s away from now minus uptime", bt, d)
	}
}
