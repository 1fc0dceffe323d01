// Package heaptrack imports heaptrack's data files (gzip, zstd or plain
// text; heaptrack's default interpreted files and -r/--raw ones) into a
// memstorm trace.
//
// The lines used: `v HEAPTRACK FILEVERSION`, `I PAGESIZE PAGES`, `a SIZE
// TRACE` (an allocation class: size and call site), `+ CLASS` and `- CLASS`
// (an allocation and a free, interpreted files), `+ SIZE TRACE PTR` and
// `- PTR` (raw files), `c MS` (time), `R PAGES` (RSS). Numbers are hex.
// Every other line (strings, call stacks, modules, comments) is skipped.
package heaptrack

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/memstorm/memstorm/trace"
)

// Lost is what any heaptrack file lacks.
var Lost = []string{
	"no threads: every call replays on one thread",
	"realloc reads as free then malloc (heaptrack records it so): no in-place growth",
	"calloc and the aligned calls read as malloc; no mmap/munmap of the program's own",
	"time in milliseconds: calls within one millisecond share a time",
}

// LostInterpreted is what files without -r/--raw lack besides.
const LostInterpreted = "a free names only a class (size and call site), not the block: the most recent live block of the class is freed (guessed frees are counted)"

const maxLine = 1 << 20

// Open returns a reader of the text inside a heaptrack file: zstd and gzip
// are recognized by their magic numbers, anything else is read as text.
func Open(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, fmt.Errorf("heaptrack: zstd: %w", err)
		}
		return d.IOReadCloser(), nil
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		g, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("heaptrack: gzip: %w", err)
		}
		return g, nil
	}
	return io.NopCloser(br), nil
}

type importer struct {
	w        *trace.Writer
	res      trace.Imported
	ids      *trace.IDs
	classes  []uint64   // size of each `a` class
	byClass  [][]uint64 // live synthetic addresses of each class, newest last
	next     uint64     // next synthetic address (interpreted files)
	now      int64      // ns
	pageSize uint64
	raw      bool
	line     int64
}

// Import reads heaptrack text (see Open) from r and writes the trace to w
// (and closes it). A line it cannot read is a *trace.LineError.
func Import(r io.Reader, w *trace.Writer) (trace.Imported, error) {
	im := &importer{w: w, ids: trace.NewIDs(), pageSize: 4096, next: 1}
	im.res = trace.Imported{Format: "heaptrack", Lost: Lost}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	seenVersion := false
	for sc.Scan() {
		im.line++
		b := sc.Bytes()
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		if !seenVersion {
			if f[0] != "v" || len(f) < 3 {
				return im.res, im.fail("not a heaptrack file: want the version line `v HEAPTRACK FILEVERSION` first")
			}
			fv, err := strconv.ParseUint(f[2], 16, 32)
			if err != nil || fv < 2 || fv > 3 {
				return im.res, im.fail(fmt.Sprintf("file version %q: want 2 or 3 (heaptrack 1.1 to 1.5)", f[2]))
			}
			seenVersion = true
			continue
		}
		if err := im.handle(f); err != nil {
			return im.res, err
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return im.res, &trace.LineError{Format: "heaptrack", Line: im.line + 1, Msg: "line longer than 1 MiB"}
		}
		return im.res, fmt.Errorf("heaptrack: reading: %w", err)
	}
	if !seenVersion {
		return im.res, im.fail("empty: no version line")
	}
	if !im.raw {
		im.res.Lost = append(im.res.Lost, LostInterpreted)
	}
	return im.res, w.Close()
}

func (im *importer) fail(msg string) error {
	return &trace.LineError{Format: "heaptrack", Line: im.line, Msg: msg}
}

func (im *importer) nums(f []string, n int) ([]uint64, error) {
	if len(f)-1 != n {
		return nil, im.fail(fmt.Sprintf("%q wants %d numbers, got %d", f[0], n, len(f)-1))
	}
	out := make([]uint64, n)
	for i := range out {
		v, err := strconv.ParseUint(f[i+1], 16, 64)
		if err != nil {
			return nil, im.fail(fmt.Sprintf("want a hex number, got %q", f[i+1]))
		}
		out[i] = v
	}
	return out, nil
}

func (im *importer) handle(f []string) error {
	switch f[0] {
	case "I":
		if len(f) >= 2 {
			if v, err := strconv.ParseUint(f[1], 16, 64); err == nil && v > 0 && v <= 1<<30 {
				im.pageSize = v
			}
		}
	case "a":
		n, err := im.nums(f, 2)
		if err != nil {
			return err
		}
		if n[0] > trace.MaxSize {
			return im.fail("size above 2^48")
		}
		im.classes = append(im.classes, n[0])
		im.byClass = append(im.byClass, nil)
	case "c":
		n, err := im.nums(f, 1)
		if err != nil {
			return err
		}
		if t := int64(min(n[0], 1<<40)) * 1e6; t > im.now {
			im.now = t
		}
	case "R":
		n, err := im.nums(f, 1)
		if err != nil {
			return err
		}
		return im.write(trace.Event{Op: trace.OpRSS, Size: min(n[0]*im.pageSize, trace.MaxSize)})
	case "+":
		if len(f) == 4 {
			return im.rawAlloc(f)
		}
		return im.classAlloc(f)
	case "-":
		return im.free(f)
	}
	return nil
}

func (im *importer) write(e trace.Event) error {
	e.Time = im.now
	im.res.Events++
	return im.w.Write(e)
}

func (im *importer) alloc(addr, size uint64) error {
	if prev, live := im.ids.Lookup(addr); live {
		im.ids.Free(addr)
		im.res.UnknownFrees++
		if err := im.write(trace.Event{Op: trace.OpFree, ID: prev}); err != nil {
			return err
		}
	}
	id, _, _ := im.ids.Alloc(addr)
	return im.write(trace.Event{Op: trace.OpMalloc, ID: id, Size: size})
}

func (im *importer) rawAlloc(f []string) error {
	n, err := im.nums(f, 3)
	if err != nil {
		return err
	}
	if n[0] > trace.MaxSize {
		return im.fail("size above 2^48")
	}
	im.raw = true
	return im.alloc(n[2], n[0])
}

func (im *importer) classAlloc(f []string) error {
	n, err := im.nums(f, 1)
	if err != nil {
		return err
	}
	c := n[0]
	if c >= uint64(len(im.classes)) {
		return im.fail(fmt.Sprintf("allocation class %x not defined (by an `a` line) before", c))
	}
	addr := im.next
	im.next++
	im.byClass[c] = append(im.byClass[c], addr)
	return im.alloc(addr, im.classes[c])
}

func (im *importer) free(f []string) error {
	n, err := im.nums(f, 1)
	if err != nil {
		return err
	}
	var addr uint64
	if im.raw {
		addr = n[0]
	} else {
		c := n[0]
		if c >= uint64(len(im.classes)) {
			return im.fail(fmt.Sprintf("allocation class %x not defined (by an `a` line) before", c))
		}
		live := im.byClass[c]
		if len(live) == 0 {
			im.res.UnknownFrees++
			return nil
		}
		if len(live) > 1 {
			im.res.Guessed++
		}
		addr = live[len(live)-1]
		im.byClass[c] = live[:len(live)-1]
	}
	id, ok := im.ids.Free(addr)
	if !ok {
		im.res.UnknownFrees++
		return nil
	}
	return im.write(trace.Event{Op: trace.OpFree, ID: id})
}
