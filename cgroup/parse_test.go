package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memstorm/memstorm/units"
)

func openFixture(t *testing.T, rel string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseFlatKeyedFixtures(t *testing.T) {
	tests := []struct {
		file string
		want map[string]int64 // subset that must match
		n    int              // number of keys
	}{
		{"v1/after-oom/memory.oom_control", map[string]int64{"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 1}, 3},
		{"v1/before/memory.oom_control", map[string]int64{"oom_kill": 0}, 3},
		{"v2/after-oom/memory.events", map[string]int64{"low": 0, "high": 0, "max": 35, "oom": 1, "oom_kill": 1, "oom_group_kill": 0}, 6},
		{"v2/after-oom/memory.events.local", map[string]int64{"max": 35, "oom_kill": 1}, 6},
		{"v2/after-oom/memory.stat", map[string]int64{"anon": 0, "kernel": 208896, "pagetables": 204800}, -1},
		{"v1/after-oom/memory.stat", map[string]int64{"cache": 8192, "rss": 0}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := parseFlatKeyed(openFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if tc.n >= 0 && len(got) != tc.n {
				t.Errorf("got %d keys %v, want %d", len(got), got, tc.n)
			}
			for k, v := range tc.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %d (present %v), want %d", k, g, ok, v)
				}
			}
		})
	}
}

func TestParseFlatKeyedEdges(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]int64
		wantErr string
	}{
		{"blank lines skipped", "\n a 1\n\n\tb 2 \n", map[string]int64{"a": 1, "b": 2}, ""},
		{"empty file", "", map[string]int64{}, ""},
		{"truncated line", "oom_kill_disable 0\nunder_", nil, "line 2"},
		{"three fields", "a 1 2\n", nil, "line 1"},
		{"garbage value", "oom_kill x\n", nil, "invalid syntax"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlatKeyed(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
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

func TestParseLimit(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    units.Limit
		wantErr bool
	}{
		{"v2 max", "max\n", units.Unlimited, false},
		{"v1 unlimited 4K pages", "9223372036854771712\n", units.Unlimited, false},
		{"v1 unlimited 64K pages", "9223372036854710272\n", units.Unlimited, false},
		{"v1 minus one", "-1\n", units.Unlimited, false},
		{"64 MiB", "67108864\n", units.BytesLimit(64 << 20), false},
		{"zero", "0", units.BytesLimit(0), false},
		{"empty", "", units.Limit{}, true},
		{"blank", " \n", units.Limit{}, true},
		{"garbage", "maxx\n", units.Limit{}, true},
		{"two values", "1 2\n", units.Limit{}, true},
		{"overflow", "99999999999999999999\n", units.Limit{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLimit(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for file, want := range map[string]units.Limit{
		"v1/before/memory.limit_in_bytes":       units.BytesLimit(64 << 20),
		"v1/before/memory.memsw.limit_in_bytes": units.Unlimited,
		"v1/before/memory.soft_limit_in_bytes":  units.Unlimited,
		"v2/before/memory.max":                  units.BytesLimit(64 << 20),
		"v2/before/memory.high":                 units.Unlimited,
		"v2/before/memory.swap.max":             units.Unlimited,
	} {
		got, err := parseLimit(openFixture(t, file))
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %v", file, got, err, want)
		}
	}
}

func TestParseCounter(t *testing.T) {
	for file, want := range map[string]int64{
		"v1/after-oom/memory.usage_in_bytes":     241664,
		"v1/after-oom/memory.max_usage_in_bytes": 64 << 20,
		"v1/after-oom/memory.failcnt":            48,
		"v2/after-oom/memory.current":            335872,
		"v2/after-oom/memory.peak":               64 << 20,
	} {
		got, err := parseCounter(openFixture(t, file))
		if err != nil || got != want {
			t.Errorf("%s: got %d, %v; want %d", file, got, err, want)
		}
	}
	for _, in := range []string{"", "\n", "-5", "max", "12 13"} {
		if v, err := parseCounter(strings.NewReader(in)); err == nil {
			t.Errorf("parseCounter(%q) = %d, want error", in, v)
		}
	}
}

func TestParseProcs(t *testing.T) {
	got, err := parseProcs(strings.NewReader("6506\n6509\n\n8186\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{6506, 6509, 8186}, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if got, err := parseProcs(strings.NewReader("")); err != nil || len(got) != 0 {
		t.Errorf("empty: got %v, %v", got, err)
	}
	if _, err := parseProcs(strings.NewReader("12\nx\n")); err == nil {
		t.Error("garbage pid: want error")
	}
}
