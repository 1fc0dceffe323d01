// Package procfs reads the /proc files memstorm needs: a process's status,
// stat and smaps_rollup, the system's meminfo and memory pressure, and a
// process's cgroup membership and mount table.
//
// It follows the shape of prometheus/procfs: one file per kernel file, the
// mount point is plain data ([NewFS]) so tests point it at testdata trees
// captured from real hosts, and every parser is a pure function of an
// io.Reader.
//
// The supervisor samples a worker up to 100 times a second, so the per-process
// files also have a hot-path reader, [ProcessReader], that keeps them open and
// re-reads them with pread(2) into reused buffers, parsing without allocating.
//
// Errors: a missing file is an error (never silently zero); a file whose shape
// is unexpected wraps [ErrMalformed]; a process that has exited (zombie or
// reaped) yields [ErrProcessGone]; absent pressure stall information yields
// [ErrPSIUnavailable].
package procfs
