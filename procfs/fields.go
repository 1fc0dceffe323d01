package procfs

import (
	"bytes"
	"fmt"
)

// This file holds the allocation-free scanner shared by the "Key:   value kB"
// files (status, smaps_rollup, meminfo). The pure parsers and
// ProcessReader.SmapsRollup both call it, so one parser serves tests and the
// repeated reads.

// unit says how a field's value is written.
type unit uint8

const (
	kiB   unit = iota // "1234 kB", stored as bytes
	count             // "1234", stored as is
)

// field maps one key of a kernel file to a struct field of T.
type field[T any] struct {
	name     string
	unit     unit
	required bool
	set      func(*T, int64)
}

// fieldSet is the parsed description of one file's keys (at most 64).
type fieldSet[T any] struct {
	file   string
	fields []field[T]
	index  map[string]int
	want   uint64 // bit i set when fields[i] is required
}

func newFieldSet[T any](file string, fields []field[T]) *fieldSet[T] {
	if len(fields) > 64 {
		panic("procfs: more than 64 fields in " + file)
	}
	fs := &fieldSet[T]{file: file, fields: fields, index: make(map[string]int, len(fields))}
	for i, f := range fields {
		fs.index[f.name] = i
		if f.required {
			fs.want |= 1 << i
		}
	}
	return fs
}

// parse fills dst from b; on error dst is left zero. Unknown keys and lines without a colon (blank
// lines, the smaps_rollup header) are skipped; a known key with a bad value
// or a missing required key is an error wrapping ErrMalformed.
func (fs *fieldSet[T]) parse(b []byte, dst *T) error {
	err := fs.fill(b, dst)
	if err != nil {
		var zero T
		*dst = zero
	}
	return err
}

func (fs *fieldSet[T]) fill(b []byte, dst *T) error {
	var seen uint64
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		key, val, ok := splitKey(line)
		if !ok {
			continue
		}
		i, ok := fs.index[string(key)] // no allocation: the compiler special-cases this lookup
		if !ok {
			continue
		}
		f := &fs.fields[i]
		v, err := parseValue(val, f.unit)
		if err != nil {
			return fmt.Errorf("%w: %s: field %s: value %q: %v", ErrMalformed, fs.file, f.name, val, err)
		}
		f.set(dst, v)
		seen |= 1 << i
	}
	if missing := fs.want &^ seen; missing != 0 {
		for i := range fs.fields {
			if missing&(1<<i) != 0 {
				return fmt.Errorf("%w: %s: missing field %s", ErrMalformed, fs.file, fs.fields[i].name)
			}
		}
	}
	return nil
}

// nextLine splits b after its first newline.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	return b[:i], b[i+1:]
}

// splitKey splits "Key:\tvalue" at the first colon.
func splitKey(line []byte) (key, val []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	return line[:i], line[i+1:], true
}

// errNoDigits and friends are static so that parse failures of hot-path
// files cost no more than the final wrapping.
var (
	errNoDigits = fmt.Errorf("no digits")
	errOverflow = fmt.Errorf("value out of range")
	errUnit     = fmt.Errorf("unexpected unit")
)

// parseValue parses "   1234 kB" (u == kiB, returned in bytes) or "  1234"
// (u == count).
func parseValue(val []byte, u unit) (int64, error) {
	val = trimSpace(val)
	n, rest, err := parseUint(val)
	if err != nil {
		return 0, err
	}
	rest = trimSpace(rest)
	switch u {
	case kiB:
		if string(rest) != "kB" {
			return 0, errUnit
		}
		if n > (1<<63-1)/1024 {
			return 0, errOverflow
		}
		return int64(n * 1024), nil
	default:
		if len(rest) != 0 {
			return 0, errUnit
		}
		if n > 1<<63-1 {
			return 0, errOverflow
		}
		return int64(n), nil
	}
}

// parseUint parses the leading decimal digits of b.
func parseUint(b []byte) (n uint64, rest []byte, err error) {
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if n > (1<<64-1-d)/10 {
			return 0, nil, errOverflow
		}
		n = n*10 + d
	}
	if i == 0 {
		return 0, nil, errNoDigits
	}
	return n, b[i:], nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
