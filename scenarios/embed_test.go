package scenarios

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	names := Names()
	if !slices.Contains(names, "every-other") {
		t.Errorf("Names() = %v, want it to include every-other", names)
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".yaml") || n == "" {
			t.Errorf("name %q should be the file name without .yaml", n)
		}
	}
}

func TestRead(t *testing.T) {
	data, err := Read("every-other")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "name: every-other\n") {
		t.Errorf("Read(every-other) returned %q, not the scenario's text", data)
	}
	for _, bad := range []string{"nope", "every-other.yaml", "../go", ""} {
		if _, err := Read(bad); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Read(%q) = %v, want fs.ErrNotExist", bad, err)
		}
	}
}

func TestDescribe(t *testing.T) {
	infos := Describe()
	if len(infos) != len(Names()) {
		t.Fatalf("Describe() has %d entries for %d names", len(infos), len(Names()))
	}
	for i, info := range infos {
		if info.Name != Names()[i] {
			t.Errorf("entry %d is %q, want %q", i, info.Name, Names()[i])
		}
		if info.Description == "" || strings.HasPrefix(info.Description, "(unreadable") || strings.Contains(info.Description, "\n") {
			t.Errorf("%s: description %q, want one readable line", info.Name, info.Description)
		}
	}
	for _, info := range infos {
		data, _ := Read(info.Name)
		// The summary is the start of the description, its lines joined.
		words := strings.Join(strings.Fields(string(data)), " ")
		if !strings.Contains(words, strings.TrimSuffix(info.Description, "…")) || len(info.Description) > maxSummary+len("…") {
			t.Errorf("%s: summary %q is not the start of the file's description, within %d characters", info.Name, info.Description, maxSummary)
		}
	}
}

func TestFirstSentence(t *testing.T) {
	cases := map[string]string{
		"One. Two.":                    "One.",
		"first line\n  goes on. Next.": "first line goes on.",
		"no full stop":                 "no full stop",
		"v2.1 is a version. Then":      "v2.1 is a version.",
		strings.Repeat("word ", 30):    strings.TrimSpace(strings.Repeat("word ", 20)) + "…",
	}
	for in, want := range cases {
		if got := firstSentence(in); got != want {
			t.Errorf("firstSentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDescription(t *testing.T) {
	for _, tc := range []struct {
		src, want string
		ok        bool
	}{
		{"description: one line\nphases: []\n", "one line", true},
		{"description: |\n  first\n  second\n", "first second", true},
		{"name: x\n", "", true},
		{"description: [a]\n", "", false},
		{"description: {\n", "", false},
	} {
		got, err := description([]byte(tc.src))
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("description(%q) = %q, %v; want %q, ok=%v", tc.src, got, err, tc.want, tc.ok)
		}
	}
}
