package scenarios

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memstorm/memstorm/units"
)

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSteps(t *testing.T) {
	s := mustParse(t, `phases:
  - name: outer
    repeat: 2
    phases:
      - name: a
        hold: 1ms
      - name: inner
        repeat: 3
        phases:
          - name: b
            trim: true
  - name: c
    hold: 1ms
`)
	steps := s.Steps()
	var names []string
	for i, st := range steps {
		names = append(names, st.Name)
		if st.Index != i {
			t.Errorf("step %d has Index %d", i, st.Index)
		}
		if st.Phase == nil || st.Phase.Phases != nil {
			t.Errorf("step %d (%s) is not a leaf: %+v", i, st.Name, st.Phase)
		}
	}
	want := []string{"a#1", "b#1", "b#2", "b#3", "a#2", "b#4", "b#5", "b#6", "c"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("step names (-want +got):\n%s", diff)
	}
	if steps[1].Phase != steps[7].Phase || steps[1].Phase != &s.Phases[0].Phases[1].Phases[0] {
		t.Errorf("repetitions of b do not share the scenario's Phase")
	}
	if n := countSteps(s.Phases); n != int64(len(steps)) {
		t.Errorf("countSteps = %d, want %d", n, len(steps))
	}
}

func TestBounded(t *testing.T) {
	page := int64(os.Getpagesize())
	for _, tc := range []struct {
		name   string
		src    string
		lo, hi int64 // the bound must fall in [lo, hi]
		ok     bool
	}{
		{"fill then free every-other keeps the peak", `phases:
  - allocate: {size: {dist: uniform, min: 64, max: 4KiB}, until: {bytes: 256MiB}}
  - free: every-other
`, 256<<20 + 4096, 256<<20 + 4096, true}, // one object of overshoot for one worker
		{"each worker may overshoot by one object", `workers: 4
phases:
  - allocate: {size: 1MiB, until: {bytes: 10MiB}}
`, 14 << 20, 14 << 20, true},
		{"free all resets the sawtooth", `phases:
  - repeat: 3
    phases:
      - allocate: {size: 1MiB, until: {bytes: 10MiB}}
      - free: all
`, 11 << 20, 11 << 20, true},
		{"without free all the cycles add up", `phases:
  - repeat: 3
    phases:
      - allocate: {size: 1MiB, until: {bytes: 10MiB}}
      - free: every-other
`, 33 << 20, 33 << 20, true},
		{"count times the largest object", `phases:
  - allocate: {size: {dist: histogram, buckets: [{size: 64, weight: 9}, {size: 8KiB, weight: 1}]}, until: {count: 100}}
`, 100 * 8192, 100 * 8192, true},
		{"count and bytes: the smaller wins", `phases:
  - allocate: {size: 1KiB, until: {count: 10, bytes: 1GiB}}
`, 10 << 10, 10 << 10, true},
		{"mmap objects take whole pages", `phases:
  - allocate: {via: mmap, size: 64, until: {count: 100}}
`, 100 * page, 100 * page, true},
		{"mmap bytes target counts pages too", `workers: 4
phases:
  - allocate: {via: mmap, size: 64, until: {bytes: 1MiB}}
`, (16384 + 4) * page, (16384+4)*page + 2<<20, true},
		{"saturates instead of overflowing", `phases:
  - allocate: {size: 1TiB, until: {count: 1099511627776}}
`, math.MaxInt64, math.MaxInt64, true},
		{"oom is unbounded", `phases:
  - allocate: {size: 1MiB, until: {bytes: 1MiB}}
  - allocate: {size: 1MiB, until: oom}
`, 0, 0, false},
		{"duration alone is unbounded", `phases:
  - allocate: {size: 1MiB, until: {duration: 1s}}
`, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := mustParse(t, tc.src).Bounded()
			if ok != tc.ok || got < tc.lo || got > tc.hi {
				t.Errorf("Bounded() = %d (%s), %v; want %d..%d, %v", got, units.FormatBytes(got), ok, tc.lo, tc.hi, tc.ok)
			}
		})
	}
}

func TestNeedsLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want bool
	}{
		{"bytes target", "phases: [{allocate: {size: 64, until: {bytes: 1MiB}}}]", false},
		{"count target", "phases: [{allocate: {size: 64, until: {count: 5}}}]", false},
		{"oom", "phases: [{allocate: {size: 64, until: oom}}]", true},
		{"oom even with rlimits", "rlimits: {data: 1GiB}\nphases: [{allocate: {size: 64, until: oom}}]", true},
		{"share of the limit", "phases: [{allocate: {size: 64, until: {limit: 90%}}}]", true},
		{"enomem without rlimit", "phases: [{allocate: {size: 64, until: enomem}}]", true},
		{"enomem under an rlimit", "rlimits: {address_space: 2GiB}\nphases: [{allocate: {size: 64, until: enomem}}]", false},
		{"duration only", "phases: [{allocate: {size: 64, until: {duration: 1s}}}]", true},
		{"nested oom", "phases: [{repeat: 2, phases: [{hold: 1s}, {allocate: {size: 64, until: oom}}]}]", true},
		{"no allocation", "phases: [{hold: 1s}]", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustParse(t, tc.src).NeedsLimit(); got != tc.want {
				t.Errorf("NeedsLimit() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLimitNeeded: the error points at the stop condition that needs a
// limit (whether one is supplied is the command line's to say).
func TestLimitNeeded(t *testing.T) {
	src := "name: x\nphases:\n  - repeat: 2\n    phases:\n      - hold: 1ms\n      - allocate: {size: 64, until: {limit: 90%}}\n"
	s, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := "x.yaml:6:37: phases[0].phases[1].allocate.until: it allocates until a share of the limit, so it needs a memory limit: add limit: {max: SIZE} to the file, or run it with --limit SIZE (or --cgroup current"
	if err := s.LimitNeeded(); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("LimitNeeded() = %v, want %q...", err, want)
	}
	for _, src := range []string{
		"limit: {max: 64MiB}\nphases: [{allocate: {size: 64, until: {bytes: 1MiB}}}]",
		"rlimits: {data: 64MiB}\nphases: [{allocate: {size: 64, until: enomem}}]",
		"phases: [{allocate: {size: 64, until: {bytes: 1MiB}}}]",
	} {
		if err := mustParse(t, src).LimitNeeded(); err != nil {
			t.Errorf("LimitNeeded(%q) = %v", src, err)
		}
	}
}

func TestStepCount(t *testing.T) {
	for _, src := range []string{
		"phases: [{hold: 1ms}]",
		"workers: 3\nphases: [{repeat: 4, phases: [{hold: 1ms}, {repeat: 2, phases: [{trim: true}]}]}, {turns: true, phases: [{hold: 1ms}]}]",
	} {
		s := mustParse(t, src)
		if got, want := s.StepCount(), len(s.Steps()); got != want {
			t.Errorf("StepCount() = %d, len(Steps()) = %d for %q", got, want, src)
		}
	}
}
