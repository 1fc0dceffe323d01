package rundir

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
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

// ReadEvents reads events.jsonl; blank lines are skipped, errors name the line.
func ReadEvents(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var out []Event
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var e Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			return out, fmt.Errorf("events.jsonl line %d: %w", n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("reading events.jsonl: %w", err)
	}
	return out, nil
}
