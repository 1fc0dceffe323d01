package report

import "github.com/memstorm/memstorm/rundir"

// Run is a recorded run as the report reads it: the run directory's
// contents (package rundir) with the views the figures and pages need.
type Run struct{ rundir.Run }

// Load reads the run directory dir (rundir.LoadRun): a directory without
// summary.json loads as Incomplete, and a file that is not what memstorm
// writes is a *rundir.InputError.
func Load(dir string) (*Run, error) {
	r, err := rundir.LoadRun(dir)
	if err != nil {
		return nil, err
	}
	return &Run{*r}, nil
}
