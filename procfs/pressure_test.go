package procfs

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPressureFixtures(t *testing.T) {
	for _, tc := range []struct {
		host string
		want PSI
	}{
		{"v1-hybrid", PSI{
			Some:        PSILine{Avg10: 0, Avg60: 0.20, Avg300: 0.17, Total: 916431},
			Full:        PSILine{Avg10: 0, Avg60: 0.16, Avg300: 0.14, Total: 709387},
			FullPresent: true,
		}},
		{"v2", PSI{FullPresent: true}},
	} {
		t.Run(tc.host, func(t *testing.T) {
			got, err := hostFS[tc.host].PressureMemory()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PressureMemory() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePressureCases(t *testing.T) {
	for _, tc := range []struct {
		file    string
		want    PSI
		wantErr error
	}{
		// memory.pressure of a cgroup v2 right after its memcg OOM kill.
		{file: "pressure-cgroup-after-oom", want: PSI{Some: PSILine{Total: 302}, Full: PSILine{Total: 302}, FullPresent: true}},
		// /proc/pressure/cpu before Linux 5.13: no "full" line, which is
		// absent (FullPresent false), not a zero reading and not an error.
		{file: "pressure-some-only", want: PSI{Some: PSILine{Avg60: 0.20, Avg300: 0.17, Total: 916431}}},
		{file: "pressure-truncated-line", wantErr: ErrMalformed},
		{file: "pressure-empty", wantErr: ErrMalformed},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParsePressure(openCase(t, tc.file))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("ParsePressure error = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePressure mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The lines the kernel never writes: "some" is in every pressure file, and
// every line has all four keys.
func TestParsePressureTorn(t *testing.T) {
	for name, in := range map[string]string{
		"full without some":    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"only avg10 and total": "some avg10=0.00 total=0\nfull avg10=0.00 total=0\n",
		"unknown kind":         "many avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"bad float":            "some avg10=x avg60=0.00 avg300=0.00 total=0\n",
		"bare word":            "some avg10\n",
		"negative total":       "some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
	} {
		if got, err := ParsePressure(stringsReader(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ParsePressure = %+v, %v; want ErrMalformed", name, got, err)
		}
	}
}

func TestPressureAbsent(t *testing.T) {
	_, err := ReadPressureFile("testdata/v1-hybrid/memory.pressure") // a v1 host has no such file
	if !errors.Is(err, ErrPSIUnavailable) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error = %v, want ErrPSIUnavailable and fs.ErrNotExist", err)
	}
	_, err = ReadPressureFile("testdata/cases/pressure-truncated-line")
	if err == nil || errors.Is(err, ErrPSIUnavailable) {
		t.Errorf("error = %v, want a parse error that is not ErrPSIUnavailable", err)
	}
}

func TestPressureReal(t *testing.T) {
	p, err := DefaultFS.PressureMemory()
	if errors.Is(err, ErrPSIUnavailable) {
		skipOrFail(t, "this kernel has no PSI: "+err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	if !p.FullPresent {
		t.Error("memory pressure without a full line")
	}
	// A share of wall time, and "all tasks stalled" implies "some task stalled".
	for _, l := range []PSILine{p.Some, p.Full} {
		for _, v := range []float64{l.Avg10, l.Avg60, l.Avg300} {
			if v < 0 || v > 100 {
				t.Errorf("average %v outside [0, 100] in %+v", v, l)
			}
		}
	}
	if p.Full.Total > p.Some.Total {
		t.Errorf("full total %d > some total %d", p.Full.Total, p.Some.Total)
	}
}
