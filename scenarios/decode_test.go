package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parseFixture parses testdata/scenarios/NAME.
func parseFixture(t *testing.T, name string) (*Scenario, error) {
	t.Helper()
	path := filepath.Join("testdata", "scenarios", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	return Parse(path, data)
}

// badCases lists every bad-*.yaml fixture with where its one error points
// and what it says. Positions are 1-based line:column of the offending node
// (for a missing key, of the mapping that lacks it).
var badCases = []struct {
	file      string
	line, col int
	path      string
	msg       string
}{
	{"bad-unknown-key.yaml", 2, 1, "", `unknown key "wrokers", want one of name, description, sample_every, workers`},
	{"bad-unknown-key-nested.yaml", 4, 7, "phases[0].allocate", `unknown key "sise", want one of via, align, size, touch, until`},
	{"bad-size-negative.yaml", 7, 14, "phases[0].allocate.size.min", `want a size like 64, 4KiB or 2MiB, got "-3"`},
	{"bad-size-decimal-unit.yaml", 3, 13, "phases[0].allocate.size", `decimal unit "KB" is ambiguous, write KiB`},
	{"bad-size-fraction.yaml", 3, 13, "phases[0].allocate.size", `got "1.3KiB": not a whole number of bytes`},
	{"bad-size-zero.yaml", 3, 13, "phases[0].allocate.size.value", "want a positive size, got 0B"},
	{"bad-size-missing.yaml", 3, 7, "phases[0].allocate.size", "required: want a size like 4KiB or a distribution"},
	{"bad-size-list.yaml", 3, 13, "phases[0].allocate.size", "want a size like 64, 4KiB or 2MiB, got a list"},
	{"bad-min-gt-max.yaml", 3, 34, "phases[0].allocate.size.min", "want min <= max (4KiB), got 8KiB"},
	{"bad-fraction-over-one.yaml", 2, 39, "phases[0].free.fraction", "want a fraction above 0 and at most 1, got 1.5"},
	{"bad-fraction-zero.yaml", 2, 39, "phases[0].free.fraction", "want a fraction above 0 and at most 1, got 0"},
	{"bad-fraction-missing.yaml", 2, 11, "phases[0].free.fraction", "required by pattern newest"},
	{"bad-unknown-via.yaml", 3, 12, "phases[0].allocate.via", `want via malloc, calloc, realloc, posix_memalign, mmap, go, file, tmpfs, memfd or shm, got "brk"`},
	{"bad-unknown-dist.yaml", 3, 20, "phases[0].allocate.size.dist", `want dist fixed, uniform, lognormal, pareto or histogram (or a plain size for a fixed one), got "normal"`},
	{"bad-dist-missing.yaml", 3, 13, "phases[0].allocate.size.dist", "required: want dist fixed, uniform, lognormal, pareto or histogram (or a plain size for a fixed one)"},
	{"bad-dist-stray-key.yaml", 3, 38, "phases[0].allocate.size.max", "max is not used by dist fixed (it reads value)"},
	{"bad-lognormal-median.yaml", 3, 39, "phases[0].allocate.size.median", "want min <= median <= max (1B..4KiB), got 1MiB"},
	{"bad-lognormal-no-max.yaml", 3, 13, "phases[0].allocate.size.max", "required by dist lognormal"},
	{"bad-histogram-weight.yaml", 7, 33, "phases[0].allocate.size.buckets[1].weight", "want a positive number, got -2"},
	{"bad-unknown-pattern.yaml", 2, 11, "phases[0].free.pattern", `want pattern all, every-other, every-nth, keep-one-per-page, random, oldest, newest, larger-than or smaller-than, got "every-third"`},
	{"bad-unknown-advice.yaml", 2, 37, "phases[0].madvise.advice", `want advice dontneed, free, cold or pageout, got "willneed"`},
	{"bad-pattern-missing.yaml", 2, 14, "phases[0].madvise.pattern", "required: want pattern all, every-other"},
	{"bad-advice-missing.yaml", 3, 7, "phases[0].madvise.advice", "required: want advice dontneed, free, cold or pageout"},
	{"bad-no-action.yaml", 3, 5, "phases[1]", "want exactly one action: allocate, free, madvise, trim, hold, restart_threads, replay or repeat with phases; got none"},
	{"bad-two-actions.yaml", 6, 5, "phases[0].free", "; got allocate and free"},
	{"bad-trim-false.yaml", 2, 11, "phases[0].trim", "want true (leave the phase out for no trim)"},
	{"bad-duplicate-name.yaml", 4, 11, "phases[1].name", `duplicate phase name "grow" (first used at line 2)`},
	{"bad-duplicate-name-nested.yaml", 7, 15, "phases[1].phases[0].name", `duplicate phase name "grow" (first used at line 2)`},
	{"bad-phase-name.yaml", 2, 11, "phases[0].name", `want a name of letters, digits, '.', '_' and '-', got "grow#2"`},
	{"bad-workers-zero.yaml", 1, 10, "workers", "want 1 to 256 workers, got 0"},
	{"bad-workers-too-many.yaml", 1, 10, "workers", "want 1 to 256 workers, got 257"},
	{"bad-workers-float.yaml", 1, 10, "workers", `want an integer, got "1.5"`},
	{"bad-seed-zero.yaml", 1, 7, "seed", "want a seed of at least 1, got 0"},
	{"bad-sample-every.yaml", 1, 15, "sample_every", "want at least 1ms, got 500µs"},
	{"bad-repeat-without-phases.yaml", 3, 13, "phases[0].repeat", "repeat needs phases to repeat"},
	{"bad-repeat-zero.yaml", 2, 13, "phases[0].repeat", "want a repeat count of at least 1, got 0"},
	{"bad-too-many-steps.yaml", 2, 3, "phases", "the repeats come to 1001000 steps, want at most 1000000"},
	{"bad-touch-yes.yaml", 4, 14, "phases[0].allocate.touch", `want true or false, got "yes"`},
	{"bad-hold-bare-number.yaml", 2, 11, "phases[0].hold", `want a duration like 20ms or 1.5s, got "5"`},
	{"bad-hold-zero.yaml", 2, 11, "phases[0].hold", `want a positive duration like 20ms or 1.5s, got "0s"`},
	{"bad-every-nth-one.yaml", 2, 35, "phases[0].free.n", "want n of at least 2"},
	{"bad-every-nth-missing-n.yaml", 2, 11, "phases[0].free.n", "required by pattern every-nth"},
	{"bad-n-with-all.yaml", 2, 26, "phases[0].free.n", "n is not used by pattern all"},
	{"bad-free-seed-zero.yaml", 2, 50, "phases[0].free.seed", "want a seed of at least 1 (leave it out to derive one from the scenario seed), got 0"},
	{"bad-until-missing.yaml", 3, 7, "phases[0].allocate.until", "required: want oom, enomem or a mapping"},
	{"bad-until-empty.yaml", 4, 14, "phases[0].allocate.until", "want at least one condition"},
	{"bad-until-scalar.yaml", 4, 14, "phases[0].allocate.until", `want oom, enomem or a mapping of bytes, count, duration, limit, oom, enomem, got "forever"`},
	{"bad-until-limit-over.yaml", 4, 22, "phases[0].allocate.until.limit", "want a share of the limit above 0% and at most 100%, got 150%"},
	{"bad-until-limit-no-sign.yaml", 4, 22, "phases[0].allocate.until.limit", `want a percentage like 95%, got "95"`},
	{"bad-limit-high-over-max.yaml", 3, 9, "limit.high", "want high <= max (1GiB), got 2GiB"},
	{"bad-limit-max-zero.yaml", 2, 8, "limit.max", "want a limit of at least 4MiB (what the worker needs to start), got 0B"},
	{"bad-limit-tiny.yaml", 2, 8, "limit.max", "want a limit of at least 4MiB (what the worker needs to start), got 1B"},
	{"bad-rlimit-zero.yaml", 2, 9, "rlimits.data", "want at least 1MiB on top of the worker's own mappings"},
	{"bad-rlimit-tiny.yaml", 2, 18, "rlimits.address_space", "want at least 1MiB on top of the worker's own mappings (less stops the first allocations; was a unit left out?), got 1B"},
	{"bad-align-not-pow2.yaml", 4, 14, "phases[0].allocate.align", "want a power of two from 8 to 1GiB, got 48B"},
	{"bad-align-with-malloc.yaml", 3, 14, "phases[0].allocate.align", "align applies only to via: posix_memalign, not malloc"},
	{"bad-populate-with-malloc.yaml", 3, 7, "phases[0].allocate.populate", "populate applies only to via: mmap, not malloc"},
	{"bad-populate-value.yaml", 4, 17, "phases[0].allocate.populate", `want populate write or map, got "yes"`},
	{"bad-huge-value.yaml", 4, 13, "phases[0].allocate.huge", `want huge thp, no-thp, 2MiB or 1GiB, got "2MB"`},
	{"bad-huge-without-pool.yaml", 4, 13, "phases[0].allocate.huge", "huge: 2MiB takes pages from the host's hugetlb pool: state how many the scenario needs in hugetlb: {2MiB: N}"},
	{"bad-hugetlb-size.yaml", 1, 20, "hugetlb.4MiB", `want a huge page size of 2MiB or 1GiB, got "4MiB"`},
	{"bad-limit-hugetlb-partial.yaml", 2, 19, "limit.hugetlb.2MiB", "want a whole number of 2MiB pages, got 3MiB"},
	{"bad-limit-hugetlb-size.yaml", 2, 13, "limit.hugetlb.4MiB", `want a huge page size of 2MiB or 1GiB, got "4MiB"`},
	{"bad-lock-with-malloc.yaml", 3, 7, "phases[0].allocate.lock", "lock applies only to via: mmap, not malloc"},
	{"bad-mallopt-unknown.yaml", 2, 3, "mallopt.M_PERTURB", `unknown mallopt parameter "M_PERTURB"`},
	{"bad-mallopt-range.yaml", 2, 21, "mallopt.M_MMAP_THRESHOLD", "want M_MMAP_THRESHOLD from 0 to 33554432 (32MiB, glibc's maximum), got 67108864"},
	{"bad-phases-missing.yaml", 1, 1, "phases", "want at least one phase"},
	{"bad-phases-not-list.yaml", 2, 3, "phases", "want a list, got a mapping"},
	{"bad-alias-undefined.yaml", 2, 11, "phases[0].hold", "alias *later names no anchor defined before it"},
	{"bad-tag.yaml", 1, 10, "workers", "YAML tags (!!str) are not supported"},
	{"bad-syntax.yaml", 2, 11, "", "YAML syntax: "},
	{"bad-duplicate-key.yaml", 2, 1, "", `YAML syntax: mapping key "workers" already defined at [1:1]`},
	{"bad-empty.yaml", 1, 1, "", "empty file: want a mapping with at least phases"},
	{"bad-two-docs.yaml", 4, 1, "", "want one YAML document, got 2"},

	// Bad input refused before it costs time or memory (see text.go,
	// tokens.go and decoder.enter).
	{"bad-alias-bomb.yaml", 8, 24, "phases[5].phases[1]", "want at most 65536 values once aliases are expanded, got more"},
	{"bad-alias-deep.yaml", 70, 20, "phases[67].phases[0]", "want values nested at most 64 deep once aliases are expanded"},
	{"bad-alias-recursive.yaml", 3, 13, "phases[1].phases", "alias *p stands inside the value of its own anchor"},
	{"bad-deep-flow.yaml", 1, 72, "", "want collections nested at most 64 deep, got deeper"},
	{"bad-deep-flow-map.yaml", 1, 261, "", "want collections nested at most 64 deep, got deeper"},
	{"bad-deep-block.yaml", 2, 129, "", "want collections nested at most 64 deep, got deeper"},
	{"bad-invalid-utf8.yaml", 2, 17, "", "want UTF-8 text, got the byte 0xE9"},
	{"bad-utf16.yaml", 1, 1, "", "the file is UTF-16"},
	{"bad-nul-byte.yaml", 2, 21, "", "want text, got the control character U+0000"},
	{"bad-expect-empty-condition.yaml", 3, 15, "expect.peak_usage", "want a condition on each side of \"and\""},
	{"bad-description-escape.yaml", 1, 14, "description", "want text, got the control character U+001B"},

	// Values accepted before and refused now (docs/scenarios.md says why).
	{"bad-hold-too-long.yaml", 2, 11, "phases[0].hold", `want a duration of at most 24h, got "2562047h"`},
	{"bad-name-too-long.yaml", 1, 7, "name", "want a name of at most 64 characters, got 5000"},
	{"bad-phase-name-too-long.yaml", 2, 11, "phases[0].name", "want a name of at most 64 characters, got 65"},
	{"bad-env-ld-preload.yaml", 2, 3, "env.LD_PRELOAD", "LD_PRELOAD is the dynamic loader's: a scenario does not set it"},
	{"bad-env-memstorm.yaml", 3, 3, "env.MEMSTORM_WORKER", "MEMSTORM_WORKER is memstorm's own"},
	{"bad-env-name.yaml", 2, 3, "env.MALLOC-CONF", `want a variable name of at most 64 letters, digits and '_', not starting with a digit, got "MALLOC-CONF"`},
	{"bad-growth-overflow.yaml", 5, 26, "phases[0].phases[0].allocate.size", "scales this size to 7.38e+19 bytes at their last repetition, want at most 1GiB"},
	{"bad-mallopt-int.yaml", 2, 14, "mallopt.M_TOP_PAD", "want M_TOP_PAD from 0 to 2147483647 (mallopt takes a C int), got 4294967296"},
	{"bad-allocator-path.yaml", 1, 21, "allocators[1]", `want one of glibc, jemalloc, tcmalloc, mimalloc, got "/tmp/evil.so"`},
	{"bad-size-too-large.yaml", 2, 22, "phases[0].allocate.size", `want a size of at most 1024TiB, got "2048TiB"`},
	{"bad-count-too-large.yaml", 2, 41, "phases[0].allocate.until.count", "want a count from 1 to 1099511627776, got 1099511627777"},
	{"bad-weight-huge.yaml", 3, 60, "phases[0].allocate.size.buckets[0].weight", "want a weight of at most 1e+12"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range badCases {
		t.Run(tc.file, func(t *testing.T) {
			s, err := parseFixture(t, tc.file)
			if err == nil {
				t.Fatalf("Parse accepted %s: %+v", tc.file, s)
			}
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *ScenarioError", err, err)
			}
			wantFile := filepath.Join("testdata", "scenarios", tc.file)
			if se.File != wantFile || se.Line != tc.line || se.Col != tc.col || se.Path != tc.path {
				t.Errorf("error at %s:%d:%d path %q, want %s:%d:%d path %q\n(%v)",
					se.File, se.Line, se.Col, se.Path, wantFile, tc.line, tc.col, tc.path, err)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", se.Msg, tc.msg)
			}
		})
	}
}

// TestBadFixturesCovered keeps the fixture folder and the table in step: a
// bad-*.yaml file without a case would never be checked.
func TestBadFixturesCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "bad-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	for _, tc := range badCases {
		if inTable[tc.file] {
			t.Errorf("%s is in the table twice", tc.file)
		}
		inTable[tc.file] = true
	}
	for _, f := range files {
		if !inTable[filepath.Base(f)] {
			t.Errorf("fixture %s has no case in badCases", f)
		}
		delete(inTable, filepath.Base(f))
	}
	for f := range inTable {
		t.Errorf("case %s has no fixture", f)
	}
}

func TestScenarioErrorString(t *testing.T) {
	for _, tc := range []struct {
		err  ScenarioError
		want string
	}{
		{ScenarioError{File: "scenarios/x.yaml", Line: 7, Col: 13, Path: "size.min", Msg: "want a size"},
			"scenarios/x.yaml:7:13: size.min: want a size"},
		{ScenarioError{File: "x.yaml", Msg: "YAML syntax: bad"}, "x.yaml: YAML syntax: bad"},
		{ScenarioError{Line: 1, Col: 2, Msg: "m"}, ":1:2: m"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// FuzzParse checks that no input panics Parse and that every refusal is a
// *ScenarioError naming the file.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "scenarios", "*.yaml"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil {
			if len(s.Steps()) == 0 {
				t.Errorf("accepted a scenario without steps: %q", data)
			}
			return
		}
		var se *ScenarioError
		if !errors.As(err, &se) || se.File != "fuzz.yaml" {
			t.Errorf("Parse(%q) = %v (%T), want a *ScenarioError for fuzz.yaml", data, err, err)
		}
	})
}
