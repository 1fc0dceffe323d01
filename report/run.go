package report

import "github.com/memstorm/memstorm/rundir"

// Run is a recorded run as the report reads it: the run directory's
// contents (package rundir) with the views the figures and pages need.
type Run struct{ rundir.Run }

// loadRun reads the run directory dir.
func loadRun(dir string) (*Run, error) {
	r, err := rundir.LoadRun(dir)
	if err != nil {
		return nil, err
	}
	return &Run{*r}, nil
}
