package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Names of the files in a run directory.
const (
	SamplesFile  = "samples.csv"
	EventsFile   = "events.jsonl"
	SummaryFile  = "summary.json"
	ScenarioFile = "scenario.yaml"
	// OriginalScenarioFile is the scenario file's own text, beside
	// scenario.yaml, when the run changed the scenario (--scale).
	OriginalScenarioFile = "scenario.original.yaml"
	ReportFile           = "report.html"
)

// WriteSummary writes s to path as indented JSON, atomically: a temporary
// file in the same directory is renamed over path, so a reader never sees a
// half-written summary.
func WriteSummary(path string, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding summary for %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to a temporary file beside path and renames it.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
