package cgroup

import "errors"

var (
	// ErrNoMemoryController is returned by Detect when no mounted cgroup
	// hierarchy offers the memory controller to this process.
	ErrNoMemoryController = errors.New("cgroup: no memory controller available")
	// ErrReadOnly is returned when a mutating call (AddProc, Delete) is made
	// on the group returned by Host.Current: memstorm never changes the
	// cgroup it was started in.
	ErrReadOnly = errors.New("cgroup: group is read-only (current cgroup)")
	// ErrUnsupported is returned when a setting has no equivalent in the
	// detected cgroup version (memory.oom.group on v1).
	ErrUnsupported = errors.New("cgroup: not supported by this cgroup version")
	// ErrRootCgroup is returned by Host.Current in the root of a cgroup v2
	// hierarchy, which has no memory.current or memory.max.
	ErrRootCgroup = errors.New("cgroup: the v2 root cgroup has no memory counters")
)
