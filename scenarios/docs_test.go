package scenarios

import (
	"os"
	"strings"
	"testing"
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
	// 7 blocks hold 12 scenarios: the full file, 2 sizes, 4 frees, 2
	// madvises, the repeat group, the limit and the expect blocks.
	if len(blocks) != 7 || parsed != 12 {
		t.Errorf("checked %d scenarios in %d blocks, want 12 in 7: update this test with the docs", parsed, len(blocks))
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
