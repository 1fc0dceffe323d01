// Package cref builds memstorm's plain-C reference program: the engine's own
// C source (alloc.CSource) plus a small main (src/cref.c) and the twin mode
// (src/twin.c), compiled with the same flags cgo uses for the engine (-O2),
// with no Go runtime and no cgo transitions. memstorm bench runs it side by
// side with the engine, so each figure is a ratio against what a C program
// does on the same machine; Twin runs a scenario's op sequence in it, so a
// worker's memory can be compared with a C program's doing the same.
package cref

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/memstorm/memstorm/alloc"
)

//go:embed src/cref.c src/twin.c src/probe.c src/replay.c
var mainSource embed.FS

// mainFiles are the .c files of mainSource, compiled before alloc.CSourceFiles.
var mainFiles = []string{"cref.c", "twin.c", "probe.c", "replay.c"}

// Build writes the sources into dir and compiles them with cc (or $CC) into
// dir/cref, whose path it returns. Compiler output is part of the error.
func Build(dir string) (string, error) {
	files := map[string][]byte{}
	for _, name := range mainFiles {
		b, err := mainSource.ReadFile("src/" + name)
		if err != nil {
			return "", fmt.Errorf("cref: reading embedded src/%s: %w", name, err)
		}
		files[name] = b
	}
	err := fs.WalkDir(alloc.CSource, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := alloc.CSource.ReadFile(name)
		if err != nil {
			return fmt.Errorf("cref: reading embedded %s: %w", name, err)
		}
		files[name] = b
		return nil
	})
	if err != nil {
		return "", err
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
	args := append([]string{"-O2", "-Wall", "-o", out}, mainFiles...)
	args = append(args, alloc.CSourceFiles...)
	args = append(args, "-ldl", "-lpthread", "-lm")
	cmd := exec.Command(cc, args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cref: compiling in %s with %s: %w\n%s", dir, cc, err, b)
	}
	return out, nil
}
