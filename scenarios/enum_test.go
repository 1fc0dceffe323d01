package scenarios

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOrList(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	} {
		if got := orList(tc.names); got != tc.want {
			t.Errorf("orList(%q) = %q, want %q", tc.names, got, tc.want)
		}
	}
}

func TestEnumMethods(t *testing.T) {
	if got, want := ViaValues.Want(), "malloc, calloc, realloc, posix_memalign, mmap, go, file, tmpfs, memfd or shm"; got != want {
		t.Errorf("ViaValues.Want() = %q, want %q", got, want)
	}
	if !ViaValues.Has(ViaMmap) || ViaValues.Has("no-such-via") || ViaValues.Has("") {
		t.Errorf("ViaValues.Has: mmap %v, no-such-via %v, empty %v; want true, false, false",
			ViaValues.Has(ViaMmap), ViaValues.Has("no-such-via"), ViaValues.Has(""))
	}
	if diff := cmp.Diff([]string{"self", "next"}, ByValues.Names()); diff != "" {
		t.Errorf("ByValues.Names() (-want +got):\n%s", diff)
	}
}

// enumTable is one table seen without its type, for the checks every
// table gets.
type enumTable struct {
	key   string
	names []string
	docs  []string
}

func tableOf[T ~string](e Enum[T]) enumTable {
	t := enumTable{key: e.Key, names: e.Names()}
	for _, v := range e.Values {
		t.docs = append(t.docs, v.Doc)
	}
	return t
}

// allTables lists every Enum of the package.
func allTables() []enumTable {
	return []enumTable{tableOf(ViaValues), tableOf(DistValues), tableOf(PatternValues),
		tableOf(AdviceValues), tableOf(AmongValues), tableOf(ByValues),
		tableOf(untilKeys), tableOf(phaseActions), tableOf(THPValues), tableOf(PopulateValues), tableOf(HugeValues)}
}

// TestEnumTablesWellFormed checks that every value is named once and
// documented.
func TestEnumTablesWellFormed(t *testing.T) {
	keys := map[string]bool{}
	for _, e := range allTables() {
		if e.key == "" || keys[e.key] {
			t.Errorf("table key %q is empty or used twice", e.key)
		}
		keys[e.key] = true
		seen := map[string]bool{}
		for i, n := range e.names {
			if n == "" || seen[n] {
				t.Errorf("%s: value %q is empty or listed twice", e.key, n)
			}
			seen[n] = true
			if e.docs[i] == "" {
				t.Errorf("%s: value %q has no doc", e.key, n)
			}
		}
	}
}

// TestEnumTablesListEveryConstant parses the package's source and checks
// that the typed string constants of each enum type are exactly its
// table's values (the empty "left out" constant, AmongAll, aside), so a
// constant added without a table entry fails here.
func TestEnumTablesListEveryConstant(t *testing.T) {
	tables := map[string][]string{
		"Via": ViaValues.Names(), "Dist": DistValues.Names(), "Pattern": PatternValues.Names(),
		"Advice": AdviceValues.Names(), "Among": AmongValues.Names(), "By": ByValues.Names(),
		"THP": THPValues.Names(),
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	consts := map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				typ, ok := vs.Type.(*ast.Ident)
				if !ok || tables[typ.Name] == nil {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Errorf("%s: a %s constant that is not a string literal", fset.Position(v.Pos()), typ.Name)
						continue
					}
					if s, _ := strconv.Unquote(lit.Value); s != "" {
						consts[typ.Name] = append(consts[typ.Name], s)
					}
				}
			}
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(tables)) {
		if diff := cmp.Diff(tables[typ], consts[typ]); diff != "" {
			t.Errorf("%s: table values vs constants in the source (-table +constants):\n%s", typ, diff)
		}
	}
}

// TestEnumSideTables holds the maps and lists that say something per value
// to the tables they belong to.
func TestEnumSideTables(t *testing.T) {
	if diff := cmp.Diff(slices.Sorted(slices.Values(DistValues.Names())), slices.Sorted(strSeq(maps.Keys(distKeys)))); diff != "" {
		t.Errorf("distKeys vs DistValues (-table +distKeys):\n%s", diff)
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(PatternValues.Names())), slices.Sorted(strSeq(maps.Keys(patternKeys)))); diff != "" {
		t.Errorf("patternKeys vs PatternValues (-table +patternKeys):\n%s", diff)
	}
	var untilFields, untilFlags []string
	for _, f := range fieldsOf(reflect.TypeFor[Until]()) {
		untilFields = append(untilFields, f.name)
		if reflect.TypeFor[Until]().FieldByIndex(f.index).Type.Kind() == reflect.Bool {
			untilFlags = append(untilFlags, f.name)
		}
	}
	if diff := cmp.Diff(untilFields, untilKeys.Names()); diff != "" {
		t.Errorf("untilKeys vs the keys of Until (-Until +table):\n%s", diff)
	}
	if diff := cmp.Diff(untilFlags, untilShorthands); diff != "" {
		t.Errorf("untilShorthands vs the true/false keys of Until (-Until +shorthands):\n%s", diff)
	}
	for _, k := range untilShorthands {
		short, err1 := Parse("short.yaml", []byte("phases: [{allocate: {size: 64, until: "+k+"}}]\n"))
		long, err2 := Parse("long.yaml", []byte("phases: [{allocate: {size: 64, until: {"+k+": true}}}]\n"))
		if err1 != nil || err2 != nil {
			t.Errorf("until: %s or {%s: true} refused: %v, %v", k, k, err1, err2)
			continue
		}
		if diff := cmp.Diff(long.Phases[0].Allocate.Until, short.Phases[0].Allocate.Until); diff != "" {
			t.Errorf("until: %s reads unlike {%s: true} (-mapping +shorthand):\n%s", k, k, diff)
		}
	}
	var phaseKeys []string
	for _, f := range fieldsOf(reflect.TypeFor[Phase]()) {
		phaseKeys = append(phaseKeys, f.name)
	}
	for _, a := range phaseActions.Names() {
		if !slices.Contains(phaseKeys, a) {
			t.Errorf("action %q is not a key of Phase (%s)", a, strings.Join(phaseKeys, ", "))
		}
	}
}

// strSeq turns a sequence of string-typed values into strings.
func strSeq[T ~string](seq func(func(T) bool)) func(func(string) bool) {
	return func(yield func(string) bool) {
		for v := range seq {
			if !yield(string(v)) {
				return
			}
		}
	}
}

// TestValidatorMessagesListTables checks that each message naming the
// allowed values lists the whole table, in its order.
func TestValidatorMessagesListTables(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string
	}{
		{"via", "phases:\n  - allocate: {via: brk, size: 64, until: {count: 1}}\n", "want via " + ViaValues.Want() + `, got "brk"`},
		{"dist", "phases:\n  - allocate: {size: {dist: normal}, until: {count: 1}}\n", "want dist " + DistValues.Want() + " (or"},
		{"pattern", "phases:\n  - free: every-third\n", "want pattern " + PatternValues.Want() + `, got "every-third"`},
		{"advice", "phases:\n  - madvise: {pattern: all, advice: willneed}\n", "want advice " + AdviceValues.Want() + `, got "willneed"`},
		{"among", "phases:\n  - allocate: {size: 64, until: {count: 1}}\n  - free: {pattern: all, among: oldest}\n", "want among: " + AmongValues.Want() + `, got "oldest"`},
		{"among empty", "phases:\n  - allocate: {size: 64, until: {count: 1}}\n  - free: {pattern: all, among: ''}\n", "want among: " + AmongValues.Want() + " (leave it out"},
		{"by", "phases:\n  - free: {pattern: all, by: prev}\n", "want by: " + ByValues.Want() + `, got "prev"`},
		{"until scalar", "phases:\n  - allocate: {size: 64, until: forever}\n", "or a mapping of " + strings.Join(untilKeys.Names(), ", ") + `, got "forever"`},
		{"until missing", "phases:\n  - allocate: {size: 64}\n", "or a mapping of " + strings.Join(untilKeys.Names(), ", ")},
		{"action", "phases:\n  - name: lonely\n", "want exactly one action: " + phaseActions.Want() + " with phases; got none"},
		{"outcome", "expect: {outcome: oom-kiled}\nphases: [{hold: 1s}]\n", "want " + orList(outcomeNames()) + ", or several"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
