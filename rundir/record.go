package rundir

// Absent marks a figure that the kernel or the allocator did not give for a
// sample (no cgroup, no PSI, an allocator without that statistic). It is a
// value, not an error: CSV writes it as an empty cell and plots leave a gap.
const Absent = -1

// Sample is one row of samples.csv: what memory looked like at one instant
// of a run. Byte figures are int64 bytes; Absent where not known.
type Sample struct {
	T     float64 // seconds since the worker started
	Phase string  // name of the phase running at T ("" before the first)

	// RSS and anon from /proc/<pid>/statm (every sample); file, shmem,
	// swap, locked and hugetlb from /proc/<pid>/status, read every 100 ms
	// and carried between (file is statm's shared less that shmem).
	RSS     int64 // VmRSS
	Anon    int64 // RssAnon
	File    int64 // RssFile
	Shmem   int64 // RssShmem
	Swap    int64 // VmSwap
	Locked  int64 // VmLck: mlock'd bytes
	HugeTLB int64 // HugetlbPages: explicit huge pages mapped
	// From /proc/<pid>/smaps_rollup (may be refreshed less often than every
	// sample; the last value read is carried).
	AnonHuge int64 // AnonHugePages
	LazyFree int64 // LazyFree: MADV_FREE'd pages still counted in RSS

	// From /proc/<pid>/stat, cumulative since the worker started; read
	// every 100 ms, Absent between.
	MinFlt int64
	MajFlt int64

	// From the worker (shared status page).
	Live         int64 // live requested bytes
	LiveObjects  int64
	AllocBytes   int64 // cumulative bytes allocated
	FreeBytes    int64 // cumulative bytes freed
	HeapInuse    int64 // allocated to the program, as the allocator counts it
	HeapHeld     int64 // held by the allocator (in use + free but not returned)
	HeapRetained int64 // returned/retained figure where the allocator tells, else Absent

	// From the run's memory cgroup.
	CgroupUsage int64
	// CgroupSwap is the swap charged to the run's cgroup (v2
	// memory.swap.current, v1 memsw less usage); Absent without swap
	// accounting. Swap, beside it, is what the worker processes have
	// swapped out (VmSwap).
	CgroupSwap int64
	// The cgroup's memory.stat page cache, shmem included (v2 file, v1
	// total_cache), and shared memory (v2 shmem, v1 total_shmem).
	CgroupFile, CgroupShmem int64
	// Memory pressure, "some avg10" (percent), from the cgroup (v2) or
	// /proc/pressure/memory; negative when not available.
	PSISomeAvg10 float64
}

// Event is one line of events.jsonl.
type Event struct {
	T      float64 `json:"t_s"`
	Kind   string  `json:"kind"`            // phase-start, phase-end, enomem, oom-kill, trim, signal, exit, error, ...
	Phase  string  `json:"phase,omitempty"` // phase the event belongs to
	Detail string  `json:"detail,omitempty"`
	// Bytes is the event's byte figure (live bytes, what a trim returned,
	// the usage a fill stopped at), nil for kinds that have none: 0 is a
	// figure and is written.
	Bytes *int64 `json:"bytes,omitempty"`
	// Replay holds a replay event's figures.
	Replay *ReplayFigures `json:"replay,omitempty"`
}

// Figure returns a pointer to v, for Event.Bytes.
func Figure(v int64) *int64 { return &v }

// Event kinds written by the supervisor.
const (
	EventPhaseStart = "phase-start"
	EventPhaseEnd   = "phase-end"
	EventENOMEM     = "enomem"
	EventOOMKill    = "oom-kill"
	EventTrim       = "trim"
	EventReplay     = "replay" // a replay phase's figures; Bytes: its peak live bytes
	EventSignal     = "signal"
	EventExit       = "exit"
	EventError      = "error"
	EventLimit      = "stopped-at-limit"
	EventStalled    = "stalled" // a worker is stopped (SIGSTOP, a debugger): it makes no progress
	EventResumed    = "resumed" // a stalled worker runs again
	EventSwap       = "swap"    // the run's cgroup or its workers began to use swap
)
