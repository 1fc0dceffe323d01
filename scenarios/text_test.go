package scenarios

import (
	"errors"
	"strings"
	"testing"
)

// TestParseBOM: a leading UTF-8 byte-order mark is not part of the first
// key, and positions are counted as if it were not there.
func TestParseBOM(t *testing.T) {
	s, err := parseFixture(t, "good-bom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "bom" {
		t.Errorf("name %q, want bom", s.Name)
	}
	_, err = Parse("x.yaml", []byte("\ufeffworkers: 0\nphases: [{hold: 1s}]\n"))
	var se *ScenarioError
	if !errors.As(err, &se) || se.Line != 1 || se.Col != 10 || se.Path != "workers" {
		t.Errorf("Parse(BOM, workers: 0) = %v, want an error at 1:10 (the BOM takes no column)", err)
	}
}

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		line, col int
		want      string // "" when accepted
	}{
		{"plain", "a: b\n", 0, 0, ""},
		{"tab, CR LF, NEL, emoji", "a:\tb\r\nc: \u0085 \U0001F600\n", 0, 0, ""},
		{"BOM", "\ufeffa: b", 0, 0, ""},
		{"second BOM is text", "\ufeff\ufeffa: b", 0, 0, ""},
		{"Latin-1", "a: caf\xe9\n", 1, 7, "got the byte 0xE9"},
		{"truncated sequence", "a: b\n\xe2\x82", 2, 1, "got the byte 0xE2"},
		{"surrogate encoded", "a: \xed\xa0\x80", 1, 4, "got the byte 0xED"},
		{"NUL", "a: b\nc: \x00", 2, 4, "control character U+0000"},
		{"escape", "a: \x1b[31m", 1, 4, "control character U+001B"},
		{"DEL", "a: \x7f", 1, 4, "control character U+007F"},
		{"C1", "a: \u0090", 1, 4, "control character U+0090"},
		{"U+FFFE", "a: \ufffe", 1, 4, "control character U+FFFE"},
		{"columns count characters", "é: ü\x01", 1, 5, "control character U+0001"},
		{"lone CR is a line break", "a: b\rc: \x01", 2, 4, "control character U+0001"},
		{"UTF-16 LE", "\xff\xfea\x00", 1, 1, "the file is UTF-16"},
		{"UTF-16 BE", "\xfe\xff\x00a", 1, 1, "the file is UTF-16"},
		{"too big", strings.Repeat("#", MaxFileSize+1), 0, 0, "want a scenario file of at most 128KiB, got 128 KiB (131073 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, err := checkText([]byte(tc.in))
			if tc.want == "" {
				if err != nil || text != strings.TrimPrefix(tc.in, "\ufeff") {
					t.Errorf("checkText = %q, %v; want the text without its leading BOM", text, err)
				}
				return
			}
			var se *ScenarioError
			if !errors.As(err, &se) || se.Line != tc.line || se.Col != tc.col || !strings.Contains(se.Msg, tc.want) {
				t.Errorf("checkText = %v, want an error at %d:%d containing %q", err, tc.line, tc.col, tc.want)
			}
		})
	}
}
