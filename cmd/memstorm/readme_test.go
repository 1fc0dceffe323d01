package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/scenarios"
)

// TestREADMEExamples keeps the README true: its scenario parses, and every
// memstorm command it shows is a command whose flags and arguments are
// accepted (runs are checked with --dry-run: everything but the run).
func TestREADMEExamples(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	yamls := 0
	for _, block := range strings.Split(readme, "```yaml\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		if _, err := scenarios.Parse("README.md", []byte(block)); err != nil {
			t.Errorf("README scenario does not parse: %v", err)
		}
		yamls++
	}
	cmds := 0
	for _, line := range strings.Split(readme, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "$ ")
		if !strings.HasPrefix(line, "bin/memstorm ") {
			continue
		}
		line, _, _ = strings.Cut(line, " && ")
		line, _, _ = strings.Cut(line, " #") // a shell comment
		args := strings.Fields(line)[1:]
		if args[0] == "run" {
			for i, a := range args {
				if a == "--out" && i+1 < len(args) {
					args[i+1] = filepath.Join(t.TempDir(), args[i+1])
				}
			}
			args = append([]string{"run", "--dry-run"}, args[1:]...)
		}
		if args[0] == "bench" || args[0] == "cleanup" {
			continue // they measure or change the host: their flags are tested elsewhere
		}
		code, stdout, stderr := memstorm(t, args...)
		if code != exitOK {
			t.Errorf("README command %q: exit %d\n%s%s", line, code, stdout, stderr)
		}
		cmds++
	}
	if yamls == 0 || cmds < 2 {
		t.Errorf("found %d scenarios and %d commands in README.md: the test no longer sees the examples", yamls, cmds)
	}
}
