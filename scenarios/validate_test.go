package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func ptr[T any](v T) *T { return &v }

var ignoreSource = cmpopts.IgnoreFields(Scenario{}, "Source", "Path")

func TestParseDefaults(t *testing.T) {
	s, err := parseFixture(t, "good-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Scenario{
		Name:        "good-minimal", // from the file name
		SampleEvery: Duration(20 * time.Millisecond),
		Workers:     1,
		Processes:   1,
		Seed:        1,
		THP:         THPHost,
		Phases:      []Phase{{Name: "hold-1", Hold: Duration(time.Second)}},
	}
	if diff := cmp.Diff(want, s, ignoreSource); diff != "" {
		t.Errorf("Parse(good-minimal) (-want +got):\n%s", diff)
	}
	path := filepath.Join("testdata", "scenarios", "good-minimal.yaml")
	data, _ := os.ReadFile(path)
	if s.Path != path || s.Source != string(data) {
		t.Errorf("Path %q, Source %q; want %q and the file's text", s.Path, s.Source, path)
	}
}

func TestParseShorthands(t *testing.T) {
	s, err := parseFixture(t, "good-shorthands.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Phase{
		{Name: "grow", Allocate: &Allocate{Via: ViaMalloc, Touch: ptr(true),
			Size: SizeDist{Dist: DistFixed, Value: 4096}, Until: Until{OOM: true}}},
		{Name: "fail", Allocate: &Allocate{Via: ViaPosixMemalign, Align: 64, Touch: ptr(true),
			Size: SizeDist{Dist: DistFixed, Value: 3 << 19}, Until: Until{ENOMEM: true}}},
		{Name: "punch", Free: &Free{Selection: Selection{Pattern: PatternEveryOther}}},
		{Name: "rest", Free: &Free{Selection: Selection{Pattern: PatternAll}}},
	}
	if diff := cmp.Diff(want, s.Phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
}

func TestParseFull(t *testing.T) {
	s, err := parseFixture(t, "good-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Scenario{
		Name:        "full",
		Description: "every key once",
		SampleEvery: Duration(5 * time.Millisecond),
		Workers:     4,
		Processes:   1,
		Seed:        42,
		Allocators:  []string{"glibc", "jemalloc"},
		Env:         map[string]string{"GOGC": "100", "MALLOC_ARENA_MAX": "2"},
		Mallopt:     map[string]int64{"M_MMAP_THRESHOLD": 131072, "M_TRIM_THRESHOLD": -1},
		THP:         THPNever,
		Limit:       &Limit{Max: 512 << 20, High: 400 << 20, Swap: 0, OOMGroup: true},
		Rlimits:     &Rlimits{AddressSpace: 8 << 30, Data: 4 << 30},
		Expect: &Expect{Outcome: "oom-killed", PeakUsage: "90%..100% of limit",
			Phases: map[string]string{"grow": "rss < 2 * live"}},
		Phases: []Phase{
			{Name: "warm", Allocate: &Allocate{Via: ViaCalloc, Touch: ptr(false),
				Size:  SizeDist{Dist: DistLognormal, Median: 256, Sigma: 1.5, Min: 1, Max: 64 << 10},
				Until: Until{Count: 1000, Duration: Duration(2 * time.Second)}}},
			{Name: "cycle", Repeat: 3, Phases: []Phase{
				{Name: "grow", Allocate: &Allocate{Via: ViaMmap, Touch: ptr(true),
					Size:  SizeDist{Dist: DistHistogram, Buckets: []Bucket{{64, 3}, {1 << 20, 0.5}}},
					Until: Until{Bytes: 64 << 20}}},
				{Name: "shrink", Free: &Free{Selection: Selection{Pattern: PatternRandom, Fraction: 0.5, Seed: 7}}},
				{Name: "advise", Madvise: &Madvise{Selection{Pattern: PatternLargerThan, Size: 4096}, AdviceDontneed}},
			}},
			{Name: "tail", Repeat: 1, Phases: []Phase{
				{Name: "pareto", Allocate: &Allocate{Via: ViaRealloc, Touch: ptr(true),
					Size:  SizeDist{Dist: DistPareto, Min: 32, Alpha: 1.2, Max: 1 << 20},
					Until: Until{Limit: 90}}},
				{Name: "oldest", Free: &Free{Selection: Selection{Pattern: PatternOldest, Fraction: 1}}},
				{Name: "nth", Free: &Free{Selection: Selection{Pattern: PatternEveryNth, N: 3}}},
				{Name: "keep", Free: &Free{Selection: Selection{Pattern: PatternKeepOnePerPage}}},
				{Name: "small", Free: &Free{Selection: Selection{Pattern: PatternSmallerThan, Size: 128}}},
				{Name: "newest", Free: &Free{Selection: Selection{Pattern: PatternNewest, Fraction: 0.25}}},
			}},
			{Name: "trim", Trim: true},
			{Name: "gobytes", Allocate: &Allocate{Via: ViaGo, Touch: ptr(true),
				Size: SizeDist{Dist: DistFixed, Value: 4096}, Until: Until{Bytes: 1_000_000}}},
		},
	}
	if diff := cmp.Diff(want, s, ignoreSource); diff != "" {
		t.Errorf("Parse(good-full) (-want +got):\n%s", diff)
	}
}

// TestParseDefaultNames checks that unnamed phases are named after their
// action and their position in the file, counting every phase depth first.
func TestParseDefaultNames(t *testing.T) {
	src := `phases:
  - hold: 1s
  - repeat: 2
    phases:
      - free: all
      - trim: true
  - name: explicit
    trim: true
`
	s, err := Parse("names.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.Steps() {
		got = append(got, st.Name)
	}
	want := []string{"hold-1", "free-3#1", "trim-4#1", "free-3#2", "trim-4#2", "explicit"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step names (-want +got):\n%s", diff)
	}
	if s.Phases[1].Name != "repeat-2" || s.Phases[1].Repeat != 2 {
		t.Errorf("group = %q repeat %d, want repeat-2 repeat 2", s.Phases[1].Name, s.Phases[1].Repeat)
	}
}

// TestParseAnchors checks that an alias decodes to its anchor's value.
func TestParseAnchors(t *testing.T) {
	src := `phases:
  - name: a
    allocate:
      size: &small {dist: uniform, min: 16, max: 256}
      until: {count: 10}
  - name: b
    allocate:
      size: *small
      until: {count: 20}
`
	s, err := Parse("anchors.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Phases[0].Allocate.Size, s.Phases[1].Allocate.Size); diff != "" {
		t.Errorf("aliased size differs (-a +b):\n%s", diff)
	}
	if s.Phases[1].Allocate.Size.Max != 256 {
		t.Errorf("aliased size max = %v, want 256B", s.Phases[1].Allocate.Size.Max)
	}
}

// TestEnvDecisions: allocator tunables pass; the loader's variables,
// memstorm's own and GODEBUG are refused at their key.
func TestEnvDecisions(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"MALLOC_ARENA_MAX", "2", ""},
		{"MALLOC_CONF", "dirty_decay_ms:0", ""},
		{"GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", ""},
		{"GOGC", "100", ""},
		{"_X1", "y", ""},
		{"LD_PRELOAD", "/tmp/x.so", "LD_PRELOAD is the dynamic loader's"},
		{"LD_LIBRARY_PATH", "/tmp", "LD_LIBRARY_PATH is the dynamic loader's"},
		{"LD_AUDIT", "/tmp/x.so", "LD_AUDIT is the dynamic loader's"},
		{"MEMSTORM_WORKER", "1", "memstorm's own"},
		{"GODEBUG", "madvdontneed=0", "GODEBUG is set by memstorm"},
		{"1X", "y", "want a variable name"},
		{"A=B", "y", "want a variable name"},
		{strings.Repeat("A", 65), "y", "want a variable name of at most 64"},
		{"BIG", strings.Repeat("x", 32<<10+1), "want a value of at most 32768 bytes"},
		{"NUL", `"a\0b"`, "without NUL"},
	} {
		src := fmt.Sprintf("env: {%q: %s}\nphases: [{hold: 1ms}]\n", tc.key, tc.value)
		_, err := Parse("x.yaml", []byte(src))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("env %s: %v", tc.key, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), "x.yaml:1:") || !strings.Contains(err.Error(), ": env.") || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("env %.20s: %v, want an error at its key or value containing %q", tc.key, err, tc.want)
		}
	}
	many := "env:\n"
	for i := range maxEnvVars + 1 {
		many += fmt.Sprintf("  V%d: x\n", i)
	}
	if _, err := Parse("x.yaml", []byte(many+"phases: [{hold: 1ms}]\n")); err == nil || !strings.Contains(err.Error(), "want at most 64 variables") {
		t.Errorf("65 variables: %v", err)
	}
}
