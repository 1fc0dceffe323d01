package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Run is everything a run directory holds, loaded.
type Run struct {
	Dir      string
	Summary  Summary
	Samples  []Sample
	Events   []Event
	Scenario string // the scenario's YAML text; "" when scenario.yaml is missing
	// Incomplete is true for a run directory without summary.json: the
	// supervisor did not finish (it was killed). Summary then holds only
	// what the samples and scenario.yaml tell (IncompleteSummary), and its
	// Outcome is empty: the outcome is not known.
	Incomplete bool
}

// IncompleteReason is what a report says of an Incomplete run.
const IncompleteReason = "the supervisor did not finish (no summary.json)"

// ReadSummary reads summary.json at path, within MaxSummaryBytes, without
// following a symbolic link. Malformed JSON, or an outcome that is not one
// of Outcomes, is an InputError naming the line and column.
func ReadSummary(path string) (*Summary, error) {
	dirfd, err := openDir(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	return readSummary(dirfd, filepath.Dir(path), filepath.Base(path))
}

func readSummary(dirfd int, dir, name string) (*Summary, error) {
	f, _, err := openRegular(dirfd, dir, name, MaxSummaryBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readAllBounded(f, f.Name(), MaxSummaryBytes)
	if err != nil {
		return nil, err
	}
	return decodeSummary(b, f.Name())
}

// decodeSummary parses summary.json; errors are InputErrors at the line and
// column of the fault.
func decodeSummary(b []byte, path string) (*Summary, error) {
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		e := &InputError{Path: path, Err: errors.New(strings.TrimPrefix(err.Error(), "json: "))}
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			e.Line, e.Col = lineCol(b, syn.Offset-1)
			e.Err = fmt.Errorf("invalid JSON: %w", err)
		case errors.As(err, &typ):
			// The offset is past the value, so only the line is exact.
			e.Line, _ = lineCol(b, typ.Offset)
		}
		return nil, e
	}
	upgradeSummary(&s, b)
	if s.Outcome == "" {
		return nil, inputErrorf(path, 0, "no outcome: want one of %s", outcomeList())
	}
	if !KnownOutcome(string(s.Outcome)) {
		return nil, &InputError{Path: path, Line: lineOfKey(b, "outcome"),
			Err: fmt.Errorf("outcome %q is not one of %s", s.Outcome, outcomeList())}
	}
	return &s, nil
}

// upgradeSummary reads the figures that earlier versions left out as
// Absent, not 0: a summary without "peak_swap_bytes" did not measure it,
// and without a cgroup block its phases' cgroup usage was not measured
// (earlier versions omitted a usage of 0, which stays 0 where a cgroup
// was). b is the summary's JSON text, already decoded once into s.
func upgradeSummary(s *Summary, b []byte) {
	var has struct {
		PeakSwap *int64 `json:"peak_swap_bytes"`
	}
	if json.Unmarshal(b, &has) == nil && has.PeakSwap == nil {
		s.PeakSwapBytes = Absent
	}
	if s.Cgroup == nil {
		for i := range s.Phases {
			s.Phases[i].CgroupUsageBytes = Absent
		}
	}
}

func outcomeList() string {
	names := make([]string, len(Outcomes))
	for i, o := range Outcomes {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// lineOfKey is the line of the first `"key":` in b, 0 when there is none.
func lineOfKey(b []byte, key string) int {
	i := strings.Index(string(b), `"`+key+`"`)
	if i < 0 {
		return 0
	}
	line, _ := lineCol(b, int64(i))
	return line
}

// LoadRun reads the run in dir. samples.csv must exist; summary.json may be
// missing (the run is then Incomplete), and so may events.jsonl and
// scenario.yaml (a run killed early). Every file is opened without
// following symbolic links and read within its bound (MaxSummaryBytes and
// the others); a file that is missing where it must be, is not a regular
// file, is too large or is malformed is an InputError naming it, and the
// line where that is known.
func LoadRun(dir string) (*Run, error) {
	dirfd, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	r := &Run{Dir: dir}
	s, err := readSummary(dirfd, dir, SummaryFile)
	switch {
	case err == nil:
		r.Summary = *s
	case isNotExist(err):
		r.Incomplete = true
	default:
		return nil, err
	}
	f, size, err := openRegular(dirfd, dir, SamplesFile, MaxSamplesBytes)
	if err != nil {
		if r.Incomplete && isNotExist(err) {
			return nil, &InputError{Path: dir, Err: fmt.Errorf("%w: no %s and no %s", ErrNotRunDir, SummaryFile, SamplesFile)}
		}
		return nil, err
	}
	r.Samples, err = readSamples(&boundedReader{r: f, left: MaxSamplesBytes, path: f.Name(), max: MaxSamplesBytes}, size, f.Name())
	f.Close()
	if err != nil {
		return nil, err
	}
	ef, _, err := openRegular(dirfd, dir, EventsFile, MaxEventsBytes)
	switch {
	case isNotExist(err):
	case err != nil:
		return nil, err
	default:
		r.Events, err = readEvents(&boundedReader{r: ef, left: MaxEventsBytes, path: ef.Name(), max: MaxEventsBytes}, ef.Name())
		ef.Close()
		if err != nil {
			return nil, err
		}
	}
	sf, _, err := openRegular(dirfd, dir, ScenarioFile, MaxScenarioBytes)
	switch {
	case isNotExist(err):
	case err != nil:
		return nil, err
	default:
		b, err := readAllBounded(sf, sf.Name(), MaxScenarioBytes)
		sf.Close()
		if err != nil {
			return nil, err
		}
		r.Scenario = string(b)
	}
	if r.Incomplete {
		r.Summary = IncompleteSummary(r.Samples, r.Scenario)
	}
	return r, nil
}

// IncompleteSummary is what can be said of a run without summary.json from
// its samples and scenario text: the scenario's name, the duration and
// sample count, the peaks of RSS and live bytes. The outcome is left empty
// (unknown), and so are the phases (package report takes them from the
// samples' phase column).
func IncompleteSummary(samples []Sample, scenario string) Summary {
	s := Summary{Scenario: scenarioName(scenario), Samples: len(samples)}
	for i := range samples {
		s.PeakRSSBytes = max(s.PeakRSSBytes, samples[i].RSS)
		s.PeakLiveBytes = max(s.PeakLiveBytes, samples[i].Live)
	}
	if n := len(samples); n > 0 {
		s.DurationS = samples[n-1].T
		if n > 1 {
			s.SampleEveryS = (samples[n-1].T - samples[0].T) / float64(n-1)
		}
	}
	return s
}

// scenarioName is the top-level name: of a scenario's YAML text, "" when it
// has none. It reads only that one line, leaving the scenario's grammar to
// package scenarios.
func scenarioName(yaml string) string {
	for _, line := range strings.Split(yaml, "\n") {
		v, ok := strings.CutPrefix(line, "name:")
		if !ok {
			continue
		}
		if i := strings.Index(v, " #"); i >= 0 {
			v = v[:i]
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		return v
	}
	return ""
}
