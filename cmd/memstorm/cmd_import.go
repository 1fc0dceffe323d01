package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/memstorm/memstorm/trace"
	"github.com/memstorm/memstorm/trace/heaptrack"
	"github.com/memstorm/memstorm/trace/mtrace"
	"github.com/memstorm/memstorm/units"
)

// importers are the formats memstorm import reads.
var importers = map[string]func(io.Reader, *trace.Writer) (trace.Imported, error){
	"heaptrack": func(r io.Reader, w *trace.Writer) (trace.Imported, error) {
		text, err := heaptrack.Open(r)
		if err != nil {
			return trace.Imported{}, usagef("%v", err)
		}
		defer text.Close()
		return heaptrack.Import(text, w)
	},
	"mtrace": mtrace.Import,
}

// cmdImport converts another tool's allocation trace into memstorm's
// format, and says what the source format could not carry.
func cmdImport(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("import", "[--out FILE] heaptrack|mtrace FILE", stderr)
	out := fs.String("out", "", "the trace `FILE` to write (must not exist; default: FILE's name with .trace)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(pos) != 2 {
		return exitUsage, usagef("import wants a format (heaptrack or mtrace) and a file, got %q", pos)
	}
	imp, ok := importers[pos[0]]
	if !ok {
		return exitUsage, usagef("import: unknown format %q, want heaptrack or mtrace", pos[0])
	}
	src := pos[1]
	dst := *out
	if dst == "" {
		base := filepath.Base(src)
		for _, ext := range []string{".zst", ".gz", ".raw", ".txt"} {
			base = strings.TrimSuffix(base, ext)
		}
		dst = base + ".trace"
	}
	in, err := os.Open(src)
	if err != nil {
		return exitUsage, usagef("import: %v", err)
	}
	defer in.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return exitUsage, usagef("import: --out: %v (import never overwrites a trace)", err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(dst)
		}
	}()
	w, err := trace.NewWriter(f)
	if err != nil {
		return exitHarness, err
	}
	res, err := imp(in, w)
	if err != nil {
		// A line the importer cannot read, a broken compression stream, a
		// read error of the input: the input is bad, and nothing is left.
		return exitUsage, usagef("%s: %v", src, err)
	}
	if err := f.Close(); err != nil {
		return exitHarness, fmt.Errorf("writing %s: %w", dst, err)
	}
	done = true
	sum, err := trace.Scan(dst)
	if err != nil {
		return exitHarness, err
	}
	fmt.Fprintf(stdout, "imported %s (%s) into %s: %d events, %d allocations; peak live %s in %d objects\n",
		src, res.Format, dst, sum.Events, sum.Allocs, units.FormatBytes(int64(sum.PeakLive)), sum.PeakObjects)
	if res.UnknownFrees > 0 || res.Guessed > 0 {
		fmt.Fprintf(stdout, "frees of blocks never seen allocated (left out): %d; frees whose block was guessed: %d\n", res.UnknownFrees, res.Guessed)
	}
	fmt.Fprintf(stdout, "not in the trace (the %s format does not record it):\n", res.Format)
	for _, l := range res.Lost {
		fmt.Fprintf(stdout, "  - %s\n", l)
	}
	return exitOK, nil
}
