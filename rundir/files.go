package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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

// ReadSummary reads summary.json.
func ReadSummary(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading summary: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	return &s, nil
}

// Run is everything a run directory holds, loaded.
type Run struct {
	Dir      string
	Summary  Summary
	Samples  []Sample
	Events   []Event
	Scenario string // the scenario's YAML text; "" when scenario.yaml is missing
}

// LoadRun reads the run in dir. summary.json and samples.csv must exist;
// events.jsonl and scenario.yaml may be missing (a run killed early).
func LoadRun(dir string) (*Run, error) {
	s, err := ReadSummary(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Summary: *s}
	f, err := os.Open(filepath.Join(dir, SamplesFile))
	if err != nil {
		return nil, fmt.Errorf("loading run: %w", err)
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	r.Samples, err = readSamples(f, size)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("loading run %s: %w", dir, err)
	}
	ef, err := os.Open(filepath.Join(dir, EventsFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("loading run: %w", err)
	default:
		r.Events, err = ReadEvents(ef)
		ef.Close()
		if err != nil {
			return nil, fmt.Errorf("loading run %s: %w", dir, err)
		}
	}
	sc, err := os.ReadFile(filepath.Join(dir, ScenarioFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("loading run: %w", err)
	default:
		r.Scenario = string(sc)
	}
	return r, nil
}
