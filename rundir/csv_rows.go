package rundir

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/memstorm/memstorm/units"
)

// The two halves of reading samples.csv: its header, then its rows, so
// that a stretch of the file (reduce.go) can be read with the header of
// the whole.

// header is what the header line of samples.csv says of each column.
type header struct {
	names  []string
	kinds  []colKind
	fields []func(*Sample) *int64
}

// failure turns an error of csvLines at line into the error to return.
func failure(path string, line int, err error) error {
	var ie *InputError
	var re readError
	switch {
	case errors.As(err, &ie):
		return err
	case errors.As(err, &re):
		return fmt.Errorf("reading %s: %w", path, re.err)
	}
	return &InputError{Path: path, Line: line, Err: err}
}

// readHeader reads and checks the header line.
func readHeader(lr *csvLines, path string) (*header, error) {
	rec, line, err := lr.next()
	if errors.Is(err, io.EOF) {
		return nil, inputErrorf(path, 1, "no header")
	}
	if err != nil {
		return nil, failure(path, line, err)
	}
	h := &header{names: make([]string, len(rec)), kinds: make([]colKind, len(rec)), fields: make([]func(*Sample) *int64, len(rec))}
	seenT := false
	for i, c := range rec {
		h.names[i] = strings.TrimSpace(string(c))
		switch n := h.names[i]; {
		case n == "t_s":
			h.kinds[i], seenT = colT, true
		case n == "phase":
			h.kinds[i] = colPhase
		case n == "psi_some_avg10":
			h.kinds[i] = colPSI
		case intColumns[n] != nil:
			h.kinds[i], h.fields[i] = colInt, intColumns[n]
		}
	}
	if !seenT {
		return nil, inputErrorf(path, 1, "header %q has no t_s column", strings.Join(h.names, ","))
	}
	return h, nil
}

// scanRows reads the rows after the header, handing each to each.
func scanRows(lr *csvLines, h *header, path string, each func(*Sample, int64) error) error {
	phases := map[string]string{}
	phaseBytes := 0
	lastPhase := ""
	var cur Sample
	for {
		rec, line, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return failure(path, line, err)
		}
		if len(rec) == 1 && len(rec[0]) == 0 {
			continue // a blank line
		}
		lr.rowBytes += lr.recBytes
		if len(rec) != len(h.names) {
			return inputErrorf(path, line, "%d fields, header has %d", len(rec), len(h.names))
		}
		cur = absentSample
		s := &cur
		for i, v := range rec {
			var err error
			switch h.kinds[i] {
			case colT:
				s.T, err = parseFloat(v)
			case colPhase:
				if string(v) != lastPhase {
					p, ok := phases[string(v)]
					if !ok {
						if phaseBytes += len(v); phaseBytes > maxPhaseNameBytes {
							return inputErrorf(path, line, "more than %s of distinct phase names", units.FormatBytes(maxPhaseNameBytes))
						}
						p = string(v)
						phases[p] = p
					}
					lastPhase = p
				}
				s.Phase = lastPhase
			case colPSI:
				if len(v) > 0 {
					s.PSISomeAvg10, err = parseFloat(v)
				}
			case colInt:
				if len(v) > 0 {
					*h.fields[i](s), err = parseInt(v)
				}
			}
			if err != nil {
				return inputErrorf(path, line, "column %s: %v", h.names[i], err)
			}
		}
		if err := each(s, lr.rowBytes); err != nil {
			return err
		}
	}
}
