package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// nestedGroups is a scenario whose phases are groups n deep, in block or
// flow style.
func nestedGroups(n int, flow bool) string {
	if flow {
		return "phases: " + strings.Repeat("[{phases: ", n) + "[{hold: 1ms}]" + strings.Repeat("}]", n) + "\n"
	}
	var b strings.Builder
	b.WriteString("phases:\n")
	for i := range n {
		fmt.Fprintf(&b, "%s- phases:\n", strings.Repeat("    ", i+1))
	}
	fmt.Fprintf(&b, "%s- hold: 1ms\n", strings.Repeat("    ", n+1))
	return b.String()
}

// TestNestingBound: scenarios nested as deep as anyone writes them parse;
// deeper ones are refused at the token that crosses MaxDepth, whatever the
// style.
func TestNestingBound(t *testing.T) {
	for _, tc := range []struct {
		name      string
		yaml      string
		line, col int // 0: accepted
	}{
		{"20 groups, block", nestedGroups(20, false), 0, 0},
		{"20 groups, flow", nestedGroups(20, true), 0, 0},
		{"compact sequences", "phases:\n- phases:\n  - phases:\n    - hold: 1ms\n", 0, 0},
		{"40 groups, block", nestedGroups(40, false), 33, 137}, // the key of the 65th level
		{"40 groups, flow", nestedGroups(40, true), 1, 320},
		// The first dash shares the column of phases: (undercounted).
		{"dashes", "phases:\n" + strings.Repeat("- ", 64) + "hold: 1s\n", 2, 133},
		{"indentation", func() string {
			var b strings.Builder
			for i := range 70 {
				fmt.Fprintf(&b, "%sa:\n", strings.Repeat(" ", i))
			}
			return b.String()
		}(), 65, 66},
		{"closing brackets reopen", "a: [[[]]]\nb: " + strings.Repeat("[", 62) + strings.Repeat("]", 62) + "\n", 0, 0},
		{"comments hide no brackets", "a: [ # ]]]]]]\n" + strings.Repeat("[", 63) + "\n", 2, 63},
		{"quotes hide brackets", "a: ']]]]]]]'\nb: " + strings.Repeat("[", 64) + strings.Repeat("]", 64) + "\n", 2, 67},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tokenize(tc.yaml)
			if tc.line == 0 {
				if err != nil {
					t.Errorf("tokenize refused it: %v", err)
				}
				return
			}
			var se *ScenarioError
			if !errors.As(err, &se) || se.Line != tc.line || se.Col != tc.col || !strings.Contains(se.Msg, "nested at most 64 deep") {
				t.Errorf("tokenize = %v, want a nesting error at %d:%d", err, tc.line, tc.col)
			}
		})
	}
}

func TestTokenBound(t *testing.T) {
	ok := "allocators: [" + strings.Repeat("a,", MaxTokens/2-4) + "a]\n"
	if _, err := tokenize(ok); err != nil {
		t.Errorf("tokenize(%d tokens) = %v", MaxTokens-1, err)
	}
	_, err := tokenize("allocators: [" + strings.Repeat("a,", MaxTokens/2) + "a]\n")
	var se *ScenarioError
	if !errors.As(err, &se) || se.Line != 1 || se.Col != 13+2*(MaxTokens-3)/2+1 || !strings.Contains(se.Msg, "want at most 32768 YAML tokens") {
		t.Errorf("tokenize(too many) = %v", err)
	}
}

// TestKeyBound: a block mapping holds at most MaxKeys keys, counted per
// mapping (the mappings of a list's items each start again).
func TestKeyBound(t *testing.T) {
	keys := func(n int, indent string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%sk%d: 1\n", indent, i)
		}
		return b.String()
	}
	if _, err := tokenize("env:\n" + keys(MaxKeys, "  ")); err != nil {
		t.Errorf("%d keys: %v", MaxKeys, err)
	}
	var items strings.Builder
	for range 3 {
		items.WriteString("  - x: 1\n" + keys(MaxKeys-1, "    "))
	}
	if _, err := tokenize("phases:\n" + items.String()); err != nil {
		t.Errorf("3 mappings of %d keys: %v", MaxKeys, err)
	}
	_, err := tokenize("env:\n" + keys(MaxKeys+1, "  "))
	var se *ScenarioError
	if !errors.As(err, &se) || se.Line != MaxKeys+2 || se.Col != 3 || !strings.Contains(se.Msg, "want at most 1024 keys in a mapping") {
		t.Errorf("%d keys: %v, want an error at the last key", MaxKeys+1, err)
	}
}

func TestDocumentMarkerBound(t *testing.T) {
	if _, err := tokenize(strings.Repeat("---\n", maxDocHeaders) + "a: 1\n"); err != nil {
		t.Errorf("%d markers: %v", maxDocHeaders, err)
	}
	_, err := tokenize(strings.Repeat("---\na: 1\n", maxDocHeaders+1))
	var se *ScenarioError
	if !errors.As(err, &se) || se.Line != 2*maxDocHeaders+1 || se.Col != 1 || !strings.Contains(se.Msg, "want one YAML document, got more than 16 document markers") {
		t.Errorf("%d documents: %v", maxDocHeaders+1, err)
	}
}
