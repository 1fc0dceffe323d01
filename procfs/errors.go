package procfs

import "errors"

// ErrProcessGone is returned when the process has exited: it is a zombie
// whose memory is already released, or it has been reaped (ESRCH, an empty
// read). It is never reported as zero usage.
var ErrProcessGone = errors.New("process is gone")

// ErrMalformed is wrapped by every parse error: a kernel file did not have
// the shape its parser expects (a missing required field, a truncated line,
// a value that is not a number, an unexpected unit).
var ErrMalformed = errors.New("malformed proc file")

// ErrPSIUnavailable is wrapped when the kernel has no pressure stall
// information: the pressure file is absent (no CONFIG_PSI, or a cgroup v1
// host for memory.pressure) or PSI is disabled at boot (psi=0, EOPNOTSUPP).
// Callers treat it as "no PSI", a value, not a failure of the run.
var ErrPSIUnavailable = errors.New("pressure stall information unavailable")
