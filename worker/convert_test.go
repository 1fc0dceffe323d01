package worker

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/scenarios"
)

// engineEnum is an int enum of package alloc with a String method that
// names its values and prints any other as "Type(n)".
type engineEnum interface {
	~int
	fmt.Stringer
}

// engineValues lists the values of E below limit that String names. The
// engine's enums are C enums from 0 or madvise(2) advices, all well below
// 256.
func engineValues[E engineEnum](limit int) []E {
	var out []E
	for i := range limit {
		if !strings.HasSuffix(E(i).String(), fmt.Sprintf("(%d)", i)) {
			out = append(out, E(i))
		}
	}
	return out
}

// checkMapping holds one conversion table to the scenarios table it
// converts and to the engine's enum: every scenario value is converted,
// nothing else is; every named engine value is reached; and the engine
// spells each value as the scenario does. short lists the scenario values
// that are shorthands of another (every-other for every-nth with n 2): they
// reach an engine value another name spells.
func checkMapping[S ~string, E engineEnum](t *testing.T, table scenarios.Enum[S], m map[S]E, short map[S]S) {
	t.Helper()
	converted := slices.Sorted(maps.Keys(m))
	if diff := cmp.Diff(slices.Sorted(slices.Values(names[S](table))), converted); diff != "" {
		t.Errorf("%s: values converted (-scenarios table +conversion table):\n%s", table.Key, diff)
	}
	reached := map[E]bool{}
	for name, e := range m {
		reached[e] = true
		spelled := name
		if of, ok := short[name]; ok {
			spelled = of
			if m[of] != e {
				t.Errorf("%s: %s is a shorthand of %s but converts to %v, not %v", table.Key, name, of, e, m[of])
			}
		}
		if e.String() != string(spelled) {
			t.Errorf("%s: %s converts to the engine's %q, want the engine to spell it %q", table.Key, name, e.String(), spelled)
		}
	}
	for _, e := range engineValues[E](256) {
		if !reached[e] {
			t.Errorf("%s: the engine's %v (%d) has no scenario value", table.Key, e, int(e))
		}
	}
}

// names is table.Names() in the table's own type.
func names[S ~string](table scenarios.Enum[S]) []S {
	var out []S
	for _, v := range table.Values {
		out = append(out, v.Name)
	}
	return out
}

// TestConversionTables keeps the scenario names, the conversion tables and
// the engine's enums in step: a value added in one place and not in the
// others fails here.
func TestConversionTables(t *testing.T) {
	t.Run("via", func(t *testing.T) { checkMapping(t, scenarios.ViaValues, vias, nil) })
	t.Run("dist", func(t *testing.T) { checkMapping(t, scenarios.DistValues, dists, nil) })
	t.Run("advice", func(t *testing.T) { checkMapping(t, scenarios.AdviceValues, advices, nil) })
	t.Run("pattern", func(t *testing.T) {
		m := map[scenarios.Pattern]alloc.Pattern{}
		short := map[scenarios.Pattern]scenarios.Pattern{}
		for name, p := range patterns {
			m[name] = p.pattern
			if p.n == 0 {
				continue
			}
			for of, q := range patterns { // the pattern it fixes the n of
				if q.pattern == p.pattern && q.n == 0 {
					short[name] = of
				}
			}
			if _, ok := short[name]; !ok {
				t.Errorf("%s fixes n of the engine's %v, which no pattern names with its own n", name, p.pattern)
			}
		}
		checkMapping(t, scenarios.PatternValues, m, short)
	})
}

func TestToSelection(t *testing.T) {
	for _, tc := range []struct {
		in   scenarios.Selection
		want alloc.Selection
	}{
		{scenarios.Selection{Pattern: scenarios.PatternEveryOther}, alloc.Selection{Pattern: alloc.EveryNth, N: 2, Seed: 9}},
		{scenarios.Selection{Pattern: scenarios.PatternEveryNth, N: 5}, alloc.Selection{Pattern: alloc.EveryNth, N: 5, Seed: 9}},
		{scenarios.Selection{Pattern: scenarios.PatternRandom, Fraction: 0.5, Seed: 3}, alloc.Selection{Pattern: alloc.Random, Fraction: 0.5, Seed: 3}},
	} {
		got, err := Selection(tc.in, 9)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Selection(%+v) (-want +got):\n%s", tc.in, diff)
		}
	}
	if _, err := Selection(scenarios.Selection{Pattern: "every-third"}, 1); err == nil {
		t.Error("toSelection accepted an unknown pattern")
	}
}
