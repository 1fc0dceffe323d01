package trace

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Scan reads the trace file at path through and returns its summary; a
// file that is not a whole trace gives a *FormatError wrapped with the path.
func Scan(path string) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		return Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	for {
		if _, err := r.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return r.Summary(), nil
			}
			return r.Summary(), fmt.Errorf("%s: %w", path, err)
		}
	}
}
