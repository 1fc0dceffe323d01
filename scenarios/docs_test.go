package scenarios

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDocExamples parses every YAML example of docs/scenarios.md, so the
// user documentation cannot drift from what Parse accepts. Fragments (a
// size, a list of free steps, a limit block) are placed into a minimal
// scenario first.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```yaml\n")[1:]
	parsed := 0
	for i, b := range blocks {
		block, _, _ := strings.Cut(b, "```")
		for j, src := range docExampleScenarios(block) {
			if _, err := Parse("docs/scenarios.md example", []byte(src)); err != nil {
				t.Errorf("example %d.%d does not parse: %v\n%s", i+1, j+1, err, src)
			}
			parsed++
		}
	}
	// 8 blocks hold 13 scenarios: the full file, 2 sizes, 4 frees, 2
	// madvises, the repeat group, the limit and the expect blocks, and the
	// hugetlb example.
	if len(blocks) != 8 || parsed != 13 {
		t.Errorf("checked %d scenarios in %d blocks, want 13 in 8: update this test with the docs", parsed, len(blocks))
	}
}

// docExampleScenarios turns one example block into whole scenarios.
func docExampleScenarios(block string) []string {
	switch {
	case strings.HasPrefix(block, "name:"), strings.HasPrefix(block, "phases:"):
		return []string{block}
	case strings.HasPrefix(block, "limit:"):
		return []string{block + "phases: [{hold: 1s}]\n"}
	case strings.HasPrefix(block, "expect:"):
		// Expectations name phases: give them the phases they name.
		return []string{block + `phases:
  - {name: fill, allocate: {size: 64, until: {bytes: 1MiB}}}
  - {name: punch-holes, free: every-other}
  - {name: free-all, free: all}
`}
	}
	// A list of alternatives: split at unindented lines.
	var chunks []string
	for _, line := range strings.SplitAfter(block, "\n") {
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, " ") || len(chunks) == 0 {
			chunks = append(chunks, "")
		}
		chunks[len(chunks)-1] += line
	}
	var out []string
	for _, c := range chunks {
		if strings.HasPrefix(c, "size:") {
			indented := "      " + strings.ReplaceAll(strings.TrimSuffix(c, "\n"), "\n", "\n      ") + "\n"
			out = append(out, "phases:\n  - allocate:\n"+indented+"      until: {count: 1}\n")
		} else {
			out = append(out, "phases:\n  "+strings.ReplaceAll(strings.TrimSuffix(c, "\n"), "\n", "\n  ")+"\n")
		}
	}
	return out
}

// TestDocValueTables holds the lists of values in docs/scenarios.md to the
// tables they document. Each enum is documented by one markdown table whose
// first header cell is its key (`via`, or plain action), with one value per
// row, written `value`, in the first column; the table must list exactly
// the enum's values in its order. Outcomes come from rundir.Outcomes, and
// the outcome table of docs/limits.md (in the order outcomes are decided)
// must name the same set.
func TestDocValueTables(t *testing.T) {
	want := map[string][]string{"outcome": outcomeNames()}
	for _, e := range allTables() {
		want[e.key] = e.names
	}
	tables := docValueTables(t, "../docs/scenarios.md", want)
	for key, names := range want {
		if diff := cmp.Diff(names, tables[key]); diff != "" {
			t.Errorf("docs/scenarios.md, table of %s: values (-table in Go +docs):\n%s", key, diff)
		}
	}
	decided := docValueTables(t, "../docs/limits.md", map[string][]string{"outcome": nil})["outcome"]
	if diff := cmp.Diff(slices.Sorted(slices.Values(outcomeNames())), slices.Sorted(slices.Values(decided))); diff != "" {
		t.Errorf("docs/limits.md, table of outcome: values (-rundir.Outcomes +docs, sorted):\n%s", diff)
	}
}

// docValueTables reads the markdown file at path and returns, for each key
// of keys, the values listed by the one table headed by that key. A key
// with no table, or with two, and a row whose first cell is not one
// `value`, are test errors.
func docValueTables(t *testing.T, path string, keys map[string][]string) map[string][]string {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	found := map[string]int{}
	lines := strings.Split(string(doc), "\n")
	fenced := false
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "```") {
			fenced = !fenced
		}
		if fenced || !strings.HasPrefix(lines[i], "|") || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "|---") {
			continue
		}
		key := strings.Trim(firstCell(lines[i]), "`")
		if _, ok := keys[key]; !ok {
			continue
		}
		found[key]++
		for i += 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
			cell := firstCell(lines[i])
			v, ok := strings.CutPrefix(cell, "`")
			v, ok2 := strings.CutSuffix(v, "`")
			if !ok || !ok2 || v == "" || strings.Contains(v, "`") {
				t.Errorf("%s:%d: table of %s: first cell %q is not one `value`", path, i+1, key, cell)
				continue
			}
			out[key] = append(out[key], v)
		}
		i-- // the line after the table is looked at again
	}
	for key := range keys {
		if found[key] != 1 {
			t.Errorf("%s: %d tables headed %s, want 1 listing its values", path, found[key], key)
		}
	}
	return out
}

// firstCell is the first cell of a markdown table row, trimmed.
func firstCell(row string) string {
	cells := strings.Split(row, "|")
	if len(cells) < 2 {
		return ""
	}
	return strings.TrimSpace(cells[1])
}
