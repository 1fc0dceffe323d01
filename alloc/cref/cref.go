// Package cref builds memstorm's plain-C reference program: the engine's own
// op-stream C source (alloc.CSource) plus a small main (src/cref.c), compiled
// with the same flags cgo uses for the engine (-O2), with no Go runtime and no
// cgo transitions. memstorm bench runs it side by side with the engine, so
// each figure is a ratio against what a C program does on the same machine.
package cref

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/memstorm/memstorm/alloc"
)

//go:embed src/cref.c
var mainSource []byte

// Build writes the sources into dir and compiles them with cc (or $CC) into
// dir/cref, whose path it returns. Compiler output is part of the error.
func Build(dir string) (string, error) {
	files := map[string][]byte{"cref.c": mainSource}
	for _, name := range append([]string{"ops.h"}, alloc.CSourceFiles...) {
		b, err := alloc.CSource.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("cref: reading embedded %s: %w", name, err)
		}
		files[name] = b
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return "", fmt.Errorf("cref: writing %s: %w", filepath.Join(dir, name), err)
		}
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	out := filepath.Join(dir, "cref")
	args := []string{"-O2", "-Wall", "-o", out, "cref.c"}
	args = append(args, alloc.CSourceFiles...)
	args = append(args, "-lm")
	cmd := exec.Command(cc, args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cref: compiling in %s with %s: %w\n%s", dir, cc, err, b)
	}
	return out, nil
}
