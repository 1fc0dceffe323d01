package rundir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/memstorm/memstorm/units"
)

// EventWriter streams events.jsonl, one JSON object a line; each Write
// reaches the underlying writer before it returns.
type EventWriter struct {
	w io.Writer
}

// NewEventWriter returns an EventWriter on w.
func NewEventWriter(w io.Writer) *EventWriter { return &EventWriter{w: w} }

// Write writes one event as one line.
func (ew *EventWriter) Write(e *Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding %s event at t=%gs: %w", e.Kind, e.T, err)
	}
	b = append(b, '\n')
	if _, err := ew.w.Write(b); err != nil {
		return fmt.Errorf("writing %s event at t=%gs: %w", e.Kind, e.T, err)
	}
	if f, ok := ew.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("flushing %s event: %w", e.Kind, err)
		}
	}
	return nil
}

// ReadEvents reads events.jsonl. Blank lines are skipped; a line longer
// than MaxEventLineBytes, more than MaxEventLines lines, or a line that is
// not an event is an InputError naming the line.
func ReadEvents(r io.Reader) ([]Event, error) { return readEvents(r, EventsFile) }

// readEvents is ReadEvents with the path errors name.
func readEvents(r io.Reader, path string) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxEventLineBytes)
	var out []Event
	n := 0
	for sc.Scan() {
		n++
		if n > MaxEventLines {
			return nil, inputErrorf(path, n, "more than %d lines", MaxEventLines)
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			ie := &InputError{Path: path, Line: n, Err: errors.New(strings.TrimPrefix(err.Error(), "json: "))}
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				_, ie.Col = lineCol(line, syn.Offset-1)
				ie.Err = fmt.Errorf("invalid JSON: %w", err)
			}
			return nil, ie
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		var ie *InputError
		switch {
		case errors.As(err, &ie):
			return nil, err
		case errors.Is(err, bufio.ErrTooLong):
			return nil, inputErrorf(path, n+1, "line longer than %s", units.FormatBytes(MaxEventLineBytes))
		}
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return out, nil
}
