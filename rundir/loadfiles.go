package rundir

import (
	"bytes"
	"fmt"

	"golang.org/x/sys/unix"
)

// LoadRunFiles is LoadRun for a run directory held in memory (read from a
// tarball): files maps the names of the directory's files to their
// contents, a file left out being missing. dir names the directory in
// errors ("bundle.tar.gz:runs/x"). The same files are required, within
// the same bounds, and faults are the same InputErrors.
func LoadRunFiles(dir string, files map[string][]byte) (*Run, error) {
	path := func(name string) string { return dir + "/" + name }
	get := func(name string, max int64) ([]byte, bool, error) {
		b, ok := files[name]
		if ok && int64(len(b)) > max {
			return nil, false, inputErrorf(path(name), 0, "is %d bytes, more than the %d a run directory's %s may be", len(b), max, name)
		}
		return b, ok, nil
	}
	r := &Run{Dir: dir}
	b, ok, err := get(SummaryFile, MaxSummaryBytes)
	switch {
	case err != nil:
		return nil, err
	case ok:
		s, err := decodeSummary(b, path(SummaryFile))
		if err != nil {
			return nil, err
		}
		r.Summary = *s
	default:
		r.Incomplete = true
	}
	b, ok, err = get(SamplesFile, MaxSamplesBytes)
	switch {
	case err != nil:
		return nil, err
	case !ok && r.Incomplete:
		return nil, &InputError{Path: dir, Err: fmt.Errorf("%w: no %s and no %s", ErrNotRunDir, SummaryFile, SamplesFile)}
	case !ok:
		return nil, &InputError{Path: path(SamplesFile), Err: unix.ENOENT} // as LoadRun says it
	}
	if r.Samples, err = readSamples(bytes.NewReader(b), int64(len(b)), path(SamplesFile)); err != nil {
		return nil, err
	}
	if b, ok, err = get(EventsFile, MaxEventsBytes); err != nil {
		return nil, err
	} else if ok {
		if r.Events, err = readEvents(bytes.NewReader(b), path(EventsFile)); err != nil {
			return nil, err
		}
	}
	if b, ok, err = get(ScenarioFile, MaxScenarioBytes); err != nil {
		return nil, err
	} else if ok {
		r.Scenario = string(b)
	}
	if r.Incomplete {
		r.Summary = IncompleteSummary(r.Samples, r.Scenario)
	}
	return r, nil
}
