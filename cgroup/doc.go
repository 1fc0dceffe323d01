// Package cgroup gives each memstorm run its own memory cgroup and reads its
// counters, on cgroup v1, v2 and hybrid hosts.
//
// # Detection
//
// Detect is the one place memstorm decides which cgroup version holds the
// memory controller (machine.Describe reports its answer). It reads
// <Proc>/self/mountinfo and <Proc>/self/cgroup with the parsers of package
// procfs, which owns every /proc parser and the pressure (PSI) parser. The
// roots are data (Roots; DefaultRoots for the live system), the same ones
// machine.Describe takes, so tests run both against captured trees under
// testdata/. A controller binds to exactly one hierarchy, so:
//
//   - v1: a "cgroup" mount whose super options include memory. The own cgroup
//     is the path of the /proc/self/cgroup line listing memory, taken
//     relative to the mount's root (mountinfo field 4: a container sees its
//     own cgroup bind-mounted as the hierarchy root) and joined to the mount
//     point, e.g. /sys/fs/cgroup/memory/<own path>.
//   - hybrid: the same v1 memory mount, plus a cgroup2 mount (usually
//     /sys/fs/cgroup/unified) that holds no memory controller. It is treated
//     as v1; Host.Hybrid reports it (cgroups.Mode() calls this Hybrid).
//   - v2: no v1 memory mount; the cgroup2 mount plus the "0::<path>" line,
//     accepted only if the own cgroup's cgroup.controllers lists memory.
//
// # Children
//
// Host.NewChild creates <own cgroup>/<name> with containerd/cgroups v3:
// cgroup1.New with a memory-only Hierarchy and a StaticPath relative to the
// memory mount (not Default, which would create the child in every v1
// controller, and not NestedPath, which reads the live /proc/self/cgroup and
// misplaces the child when the own cgroup is the mount root), or
// cgroup2.NewManager, which also enables +memory in the ancestors'
// cgroup.subtree_control. On v2 that fails with EBUSY when the own cgroup
// holds processes and has not delegated memory yet (no internal processes
// rule); the error is returned, memstorm does not move itself.
//
// Settings map to files as follows (-1 = unlimited, the new-cgroup default,
// so nothing is written):
//
//	Settings   v1                                  v2
//	Max        memory.limit_in_bytes               memory.max
//	High       memory.soft_limit_in_bytes          memory.high
//	Swap       memory.memsw.limit_in_bytes=Max+Swap  memory.swap.max
//	           (only where memsw exists, with Max)
//	OOMGroup   ErrUnsupported                      memory.oom.group
//
// A v2 worker starts inside the child through clone3 CLONE_INTO_CGROUP
// (Group.FD); v1 has no such flag, so the caller starts the worker blocked,
// calls Group.AddProc, then releases it.
//
// NewChild also writes an ownership record (owner.go) in Host.OwnerDir
// (/run/memstorm/cgroups for root): the child's directory and inode, and the
// PID and start time of the process that made it. A name proves nothing;
// the record proves that memstorm made this very cgroup.
//
// Group.Delete SIGKILLs every PID still in cgroup.procs (never a process
// outside the group), waits until the list is empty, removes the
// directory through the library, then the record. Host.Cleanup does the
// same for children named memstorm-<pid>-* (ChildName) that are provably
// memstorm's and stale: a record names their path and inode, its creator
// (PID and start time, read through procfs below Roots.Proc) is gone, and
// every process in them carries WorkerMark in its environment, checked again
// before each SIGKILL. Everything else named like a child is listed as left
// alone, with why.
// Host.Current is the own cgroup in read-only mode for in-container runs.
//
// # Counters
//
// Stats reads, and pure io.Reader parsers decode (memory.pressure through
// procfs.ReadPressureFile):
//
//	Stats       v1                                      v2
//	Usage       memory.usage_in_bytes                   memory.current
//	Peak        memory.max_usage_in_bytes               memory.peak (-1, PeakSampled if absent: < 5.19)
//	Limit/High  limit_in_bytes / soft_limit_in_bytes    memory.max / memory.high
//	OOMKills    memory.oom_control oom_kill             memory.events oom_kill
//	OOMEvents   -1 (not counted)                        memory.events oom
//	OOMGroupKills -1 (not counted)                      memory.events oom_group_kill (-1 before 5.17)
//	OOMGroup    -1 (no such setting)                    memory.oom.group
//	SwapUsage   memsw.usage_in_bytes - usage_in_bytes   memory.swap.current (-1 without swap accounting)
//	Failcnt     memory.failcnt + memory.memsw.failcnt   memory.events max
//	PSI         OK=false                                memory.pressure
//
// Stats.Counters names the event counters, and CountersSince subtracts
// two readings: a run's own counts in a cgroup used before it. ResetPeak
// restarts the kernel's high-water mark for a run where the kernel allows
// (v2 memory.peak per open descriptor from Linux 6.12, v1 a write of 0 to
// max_usage_in_bytes).
//
// Unlimited is -1 everywhere: v2 writes "max", v1 writes the page-counter
// maximum (9223372036854771712 with 4 KiB pages; every value >= 2^62 is
// read as unlimited). -1 also marks a figure the kernel does not give (Peak
// without memory.peak, OOMKills before 4.13, OOMEvents on v1, Swap without
// swap accounting): the Stats comment lists which field means which. A file
// that the version always has and that is missing or unparsable is an error
// naming the file, never a zero; so is a memory.pressure without its "full"
// line.
package cgroup
