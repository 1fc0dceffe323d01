package cgroup

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/units"
)

func TestReadStatsFixtures(t *testing.T) {
	ignoreMaps := cmpopts.IgnoreFields(Stats{}, "Events", "EventsLocal", "Stat")
	tests := []struct {
		dir     string
		version int
		want    Stats
	}{
		{"v1/before", 1, Stats{Version: 1, Usage: 0, Peak: 0, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited,
			OOMKills: 0, OOMEvents: units.Absent, Failcnt: 0, OOMGroupKills: units.Absent, OOMGroup: units.Absent, SwapUsage: 0}},
		{"v1/after-oom", 1, Stats{Version: 1, Usage: 241664, Peak: 64 << 20, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited,
			OOMKills: 1, OOMEvents: units.Absent, Failcnt: 48, OOMGroupKills: units.Absent, OOMGroup: units.Absent, SwapUsage: units.Absent}},
		// memsw.usage_in_bytes is memory plus swap: the swap is the difference.
		{"v1/swapped", 1, Stats{Version: 1, Usage: 251904, Peak: 64 << 20, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited,
			OOMKills: 1, OOMEvents: units.Absent, Failcnt: 48, OOMGroupKills: units.Absent, OOMGroup: units.Absent, SwapUsage: 8 << 20}},
		{"v1/no-memsw", 1, Stats{Version: 1, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Limit{}, OOMEvents: units.Absent,
			OOMGroupKills: units.Absent, OOMGroup: units.Absent, SwapUsage: units.Absent}},
		{"v1/no-oom-kill-line", 1, Stats{Version: 1, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited, OOMKills: units.Absent, OOMEvents: units.Absent,
			OOMGroupKills: units.Absent, OOMGroup: units.Absent, SwapUsage: units.Absent}},
		{"v2/before", 2, Stats{Version: 2, Usage: 0, Peak: 0, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited,
			PSI: PSI{OK: true}}},
		{"v2/after-oom", 2, Stats{Version: 2, Usage: 335872, Peak: 64 << 20, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited,
			OOMKills: 1, OOMEvents: 1, Failcnt: 35, PSI: PSI{OK: true, SomeTotal: 302, FullTotal: 302}}},
		{"v2/swapped", 2, Stats{Version: 2, Usage: 335872, Peak: 64 << 20, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited,
			OOMKills: 1, OOMEvents: 1, Failcnt: 35, OOMGroupKills: 1, OOMGroup: 1, SwapUsage: 8 << 20, PSI: PSI{OK: true, SomeTotal: 302, FullTotal: 302}}},
		{"v2/no-peak", 2, Stats{Version: 2, Peak: units.Absent, PeakSource: PeakSampled, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited, PSI: PSI{OK: true},
			OOMGroupKills: units.Absent}},
		{"v2/no-pressure", 2, Stats{Version: 2, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Unlimited}},
		{"v2/no-swap-accounting", 2, Stats{Version: 2, PeakSource: PeakKernel, Limit: units.BytesLimit(64 << 20), High: units.Unlimited, Swap: units.Limit{}, PSI: PSI{OK: true},
			SwapUsage: units.Absent}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			got, err := readStats(tc.version, filepath.Join("testdata", tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, ignoreMaps); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if len(got.Events) == 0 || len(got.Stat) == 0 {
				t.Errorf("Events %v / Stat with %d keys: want both read", got.Events, len(got.Stat))
			}
			if tc.version == 2 && got.EventsLocal["oom_kill"] != got.OOMKills {
				t.Errorf("events.local oom_kill %d, events oom_kill %d: the fixture child has no children",
					got.EventsLocal["oom_kill"], got.OOMKills)
			}
		})
	}
}

func TestReadStatsErrors(t *testing.T) {
	tests := []struct {
		dir     string
		version int
		is      error  // errors.Is target, if any
		mention string // the failing file must be named
	}{
		{"v1/truncated-oom-control", 1, nil, "memory.oom_control"},
		{"v1/garbage-limit", 1, nil, "memory.limit_in_bytes"},
		{"v1/empty-usage", 1, nil, "memory.usage_in_bytes"},
		{"v2/missing-current", 2, fs.ErrNotExist, "memory.current"},
		{"v2/garbage-max", 2, nil, "memory.max"},
		{"v2/events-without-oom-kill", 2, nil, "memory.events"},
		{"v2/truncated-pressure", 2, procfs.ErrMalformed, "memory.pressure"},
		{"v2/pressure-without-full", 2, procfs.ErrMalformed, "memory.pressure"},
		{"v1/before", 3, ErrUnsupported, "version 3"},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			got, err := readStats(tc.version, filepath.Join("testdata", tc.dir))
			if err == nil {
				t.Fatalf("got %+v, want error", got)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("err = %v, want it to name %s", err, tc.mention)
			}
		})
	}
}

// memory.pressure through procfs, the one PSI parser: both lines read; no
// file is "no PSI"; a file without the "full" line, which every memory
// pressure file has, is an error naming the file, never a zero.
func TestReadPSI(t *testing.T) {
	tests := []struct {
		dir     string
		want    PSI
		wantErr error
	}{
		{dir: "v2/after-oom", want: PSI{OK: true, SomeTotal: 302, FullTotal: 302}},
		{dir: "v2/busy-pressure", want: PSI{OK: true, SomeAvg10: 1.5, FullAvg10: 0.25, SomeTotal: 916431, FullTotal: 709387}},
		{dir: "v2/no-pressure", want: PSI{}},
		{dir: "v2/pressure-without-full", wantErr: procfs.ErrMalformed},
		{dir: "v2/truncated-pressure", wantErr: procfs.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			path := filepath.Join("testdata", tc.dir, "memory.pressure")
			got, err := readPSI(path)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("readPSI = %+v, %v; want %v naming %s", got, err, tc.wantErr, path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// The run's own counters are the difference of two readings, by the
// kernel's names; the states of v1 memory.oom_control are not counters.
func TestCountersSince(t *testing.T) {
	read := func(version int, dir string) Stats {
		t.Helper()
		s, err := readStats(version, filepath.Join("testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name       string
		start, end Stats
		want       map[string]int64
	}{
		{"v1", read(1, "v1/before"), read(1, "v1/after-oom"), map[string]int64{"failcnt": 48, "oom_kill": 1}},
		{"v2", read(2, "v2/before"), read(2, "v2/after-oom"),
			map[string]int64{"failcnt": 35, "low": 0, "high": 0, "max": 35, "oom": 1, "oom_kill": 1, "oom_group_kill": 0}},
		{"v2 same reading", read(2, "v2/swapped"), read(2, "v2/swapped"),
			map[string]int64{"failcnt": 0, "low": 0, "high": 0, "max": 0, "oom": 0, "oom_kill": 0, "oom_group_kill": 0}},
		// A counter lower at the end was reset in between: unknown.
		{"v1 reset", read(1, "v1/after-oom"), read(1, "v1/before"), map[string]int64{"failcnt": units.Absent, "oom_kill": units.Absent}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, CountersSince(tc.start, tc.end)); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}
