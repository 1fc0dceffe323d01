// Package procfs reads the /proc files memstorm needs: a process's status,
// stat and smaps_rollup, the system's meminfo, boot time (/proc/stat) and
// memory pressure, and a process's cgroup membership and mount table.
//
// It is the one reader of each of these files in memstorm: package cgroup
// finds the memory controller with ParseMountinfo and ParseCgroups (through
// Proc.Mountinfo and Proc.Cgroups) and reads a cgroup's memory.pressure with
// ReadPressureFile, which has the format of /proc/pressure/memory.
//
// It follows the shape of prometheus/procfs: one file per kernel file, the
// mount point is plain data ([NewFS]; cgroup.Roots.Proc for callers that
// read the whole host) so tests point it at testdata trees captured from
// real hosts, and every parser is a pure function of an io.Reader.
//
// The worker's status and stat are sampled 100 times a second by a C thread
// (package sample), not here. smaps_rollup, read between those samples, has
// a reader that keeps the file open, [ProcessReader], which re-reads it with
// pread(2) into a reused buffer and parses without allocating.
//
// Errors: a missing file is an error (never silently zero); a file whose shape
// is unexpected wraps [ErrMalformed]; a process that has exited (zombie or
// reaped) yields [ErrProcessGone]; absent pressure stall information yields
// [ErrPSIUnavailable]. An optional line or field that is absent is said so
// where it matters ([PSI].FullPresent) and otherwise reads as 0 where the
// type documents it (the optional fields of [Meminfo], [SmapsRollup] and
// [Status]).
package procfs
