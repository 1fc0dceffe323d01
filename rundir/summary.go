package rundir

import (
	"encoding/json"

	"github.com/memstorm/memstorm/units"
)

// Outcome says why a run ended. It is the single most important field of a
// summary: every path out of a run sets exactly one.
type Outcome string

// The outcomes a run can have.
const (
	OutcomeCompleted      Outcome = "completed"        // every phase ran
	OutcomeOOMKilled      Outcome = "oom-killed"       // the kernel's memcg OOM killer killed the worker
	OutcomeENOMEM         Outcome = "enomem"           // an allocation failed; the remaining phases ran
	OutcomeStoppedAtLimit Outcome = "stopped-at-limit" // allocation stopped at a share of the cgroup limit
	OutcomeHugeTLBLimit   Outcome = "hugetlb-limit"    // SIGBUS at a fault past the cgroup's hugetlb limit
	OutcomeInterrupted    Outcome = "interrupted"      // SIGINT/SIGTERM to memstorm
	OutcomeFailed         Outcome = "failed"           // the worker crashed or the harness failed; see Reason
)

// Outcomes lists every outcome, in the order docs and messages name them.
var Outcomes = []Outcome{OutcomeCompleted, OutcomeOOMKilled, OutcomeENOMEM,
	OutcomeStoppedAtLimit, OutcomeHugeTLBLimit, OutcomeInterrupted, OutcomeFailed}

// KnownOutcome reports whether o names an outcome.
func KnownOutcome(o string) bool {
	for _, k := range Outcomes {
		if string(k) == o {
			return true
		}
	}
	return false
}

// Invocation is how a run was asked for: enough to run it again.
type Invocation struct {
	Version string            `json:"version"`             // memstorm's version and VCS revision, from its build info
	Command []string          `json:"command"`             // the command line, as given
	Scale   float64           `json:"scale"`               // --scale (1 when not given)
	Flags   map[string]string `json:"overrides,omitempty"` // the flags that changed the scenario's settings (--limit, --allocator, ...)
}

// Summary is summary.json: the headline numbers of one run.
type Summary struct {
	Scenario   string     `json:"scenario"`
	Invocation Invocation `json:"invocation"`
	// PSISource says whose memory pressure samples.csv holds: "cgroup" (the
	// run's own, v2), "host" (the whole machine's /proc/pressure/memory: a
	// v1 cgroup has none of its own) or "" (none available).
	PSISource   string  `json:"psi_source,omitempty"`
	Description string  `json:"description,omitempty"`
	Outcome     Outcome `json:"outcome"`
	Reason      string  `json:"reason,omitempty"` // why, for failed/interrupted/oom-killed
	// HarnessErrors are failures of memstorm's own while it recorded the run
	// (a sample or event that could not be written, a counter that could
	// not be read at the end). A run with any is not a clean record: the
	// command exits 3.
	HarnessErrors []string      `json:"harness_errors,omitempty"`
	ExitStatus    string        `json:"exit_status,omitempty"` // the worker's wait status in words
	Allocator     AllocatorInfo `json:"allocator"`
	Started       string        `json:"started"` // RFC 3339
	DurationS     float64       `json:"duration_s"`
	SampleEveryS  float64       `json:"sample_every_s"`

	PeakRSSBytes int64 `json:"peak_rss_bytes"` // max of sampled RSS and the kernel's VmHWM
	// PeakAnonBytes is the largest sampled anonymous RSS (RssAnon): the
	// memory the scenario allocated, which a cgroup limit applies to, without
	// the file pages of memstorm's own binary that RSS also counts.
	PeakAnonBytes int64 `json:"peak_anon_bytes"`
	// Processes is how many worker processes the figures are summed over.
	// Summed RSS counts the file pages they share once per process; anon
	// does not double count.
	Processes int `json:"processes"`
	// HarnessMallocCalls counts the malloc-family calls memstorm made during
	// the phases besides the scenario's own allocations and frees: 0 is
	// the promise, checked when the worker runs under the counting
	// interposer; absent (null) when it was not counted.
	HarnessMallocCalls *int64 `json:"harness_malloc_calls,omitempty"`
	PeakLiveBytes      int64  `json:"peak_live_bytes"`
	// PeakSwapBytes is the largest swap of the worker processes sampled
	// (VmSwap, summed): what they had swapped out, in any cgroup.
	PeakSwapBytes    int64          `json:"peak_swap_bytes"`
	Samples          int            `json:"samples"`
	Phases           []PhaseSummary `json:"phases"`
	BookkeepingBytes int64          `json:"bookkeeping_bytes"` // the harness's own per-object records, not in Live

	THP          THPMode        `json:"thp"`
	Cgroup       *CgroupSummary `json:"cgroup,omitempty"`
	Expectations []Expectation  `json:"expectations,omitempty"`
	Passed       bool           `json:"passed"` // every expectation held (true when there are none)

	Machine Machine `json:"machine"`

	// Kubernetes is the run as Kubernetes shows its container; nil outside one.
	Kubernetes *Kubernetes `json:"kubernetes,omitempty"`
}

// AllocatorInfo names the allocator that really served malloc in the worker.
type AllocatorInfo struct {
	Requested string            `json:"requested,omitempty"`
	Name      string            `json:"name"` // glibc, jemalloc, tcmalloc, mimalloc
	Version   string            `json:"version"`
	Env       map[string]string `json:"env,omitempty"`
	Mallopt   map[string]int64  `json:"mallopt,omitempty"`
}

// PhaseSummary is one phase as it ran (a repeated phase appears once per run
// of it, its name suffixed with the repetition, e.g. "grow#2").
type PhaseSummary struct {
	Name   string  `json:"name"`
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// Figures at the phase's end (the first sample taken after it ended).
	RSSBytes         int64 `json:"rss_bytes"`
	AnonBytes        int64 `json:"anon_bytes"` // RssAnon: what the allocator holds, without the worker binary's file pages
	LiveBytes        int64 `json:"live_bytes"`
	HeapInuseBytes   int64 `json:"heap_inuse_bytes"`
	HeapHeldBytes    int64 `json:"heap_held_bytes"`
	CgroupUsageBytes int64 `json:"cgroup_usage_bytes"` // Absent without a cgroup
}

// CgroupSummary describes the memory cgroup the worker ran in.
//
// Every counter in it is the run's own: the kernel's counter at the end
// less the same counter at the run's start, so a cgroup reused by
// successive runs ("current" mode: memstorm's own, a container's) shows
// each run only what happened during it. The cgroup's totals at the end
// stand beside them (LifetimeEvents). A count the kernel does not keep is
// Absent (-1); zero is a count, and always written.
type CgroupSummary struct {
	Version int         `json:"version"` // 0 none, 1, 2
	Path    string      `json:"path"`
	Mode    string      `json:"mode"`  // "child" (created for the run) or "current" (memstorm's own, in-container)
	Limit   units.Limit `json:"limit"` // bytes, "max", or null when the kernel keeps none
	High    units.Limit `json:"high"`  // v2 memory.high / v1 soft limit
	Swap    units.Limit `json:"swap"`  // swap allowed beyond the limit; null when not accounted
	// OOMGroup is memory.oom.group as the kernel had it for the run: an
	// OOM kill takes every process of the cgroup. null on v1, which has no
	// such setting.
	OOMGroup *bool `json:"oom_group"`
	// OOMKilledProcesses is how many worker processes the memory cgroup's
	// OOM killer killed: each died of SIGKILL (its wait status) while the
	// cgroup's oom_kill counter rose, and each has an oom-kill event in
	// events.jsonl. Absent when the kernel does not count OOM kills.
	OOMKilledProcesses int64 `json:"oom_killed_processes"`
	// OOMKill is the kernel's oom_kill counter over the run (v2
	// memory.events, v1 memory.oom_control). It counts the kernel's kill
	// actions, not processes: under memory.oom.group the victim it chose
	// is killed again with the group, so the count can exceed the
	// processes killed (3 workers counted 5 in a measured run). Absent
	// before Linux 4.13 on v1.
	OOMKill int64 `json:"oom_kill"`
	// OOMGroupKill is v2 memory.events oom_group_kill over the run: how
	// many OOM events took the whole group. Absent on v1 and before 5.17.
	OOMGroupKill int64 `json:"oom_group_kill"`
	// PeakUsageBytes is the run's own peak usage; PeakSource says where it
	// comes from: "memory.peak" or "memory.max_usage_in_bytes" (the
	// kernel's high-water mark: of a child made for the run, or of a
	// current cgroup whose mark was reset at the run's start) or "sampled"
	// (the largest usage sampled: no kernel mark, or one that could not be
	// reset; a lower bound of the peak between samples).
	PeakUsageBytes int64  `json:"peak_usage_bytes"`
	PeakSource     string `json:"peak_source"`
	// LifetimePeakUsageBytes is the kernel's high-water mark of a current
	// cgroup that could not be reset for the run: the cgroup's peak since
	// it was made (or last reset), earlier runs included. Absent when the
	// peak above is the kernel's own for the run.
	LifetimePeakUsageBytes int64 `json:"lifetime_peak_usage_bytes"`
	// PeakNote says why the kernel's peak could not be restarted for the
	// run, when it could not ("" otherwise).
	PeakNote string `json:"peak_note,omitempty"`
	// PeakSwapBytes is the largest swap usage of the cgroup sampled during
	// the run (v2 memory.swap.current, v1 memsw less usage). Absent where
	// the kernel does not account swap.
	PeakSwapBytes int64 `json:"peak_swap_bytes"`
	// Failcnt is the charges refused at the limit during the run (v1
	// memory.failcnt + memory.memsw.failcnt, v2 memory.events max).
	Failcnt int64 `json:"failcnt"`
	// Events are the run's own event counters by the kernel's names (v2
	// memory.events: low, high, max, oom, oom_kill, oom_group_kill; v1
	// oom_kill; both: failcnt).
	Events map[string]int64 `json:"events,omitempty"`
	// LifetimeEvents are the same counters as the cgroup held them at the
	// run's end, since it was made: more than Events in a cgroup used
	// before the run.
	LifetimeEvents map[string]int64 `json:"lifetime_events,omitempty"`
	// Note says how the cgroup was chosen when it was not a child created
	// for the run (in-container mode, fallbacks).
	Note string `json:"note,omitempty"`
}

// UnmarshalJSON reads a cgroup block, the summaries of earlier versions
// too: their "oom_kills" was the kernel's oom_kill counter over the run,
// and the counts they did not have read as Absent, not as 0.
func (c *CgroupSummary) UnmarshalJSON(b []byte) error {
	type plain CgroupSummary
	*c = CgroupSummary{OOMKilledProcesses: Absent, OOMKill: Absent, OOMGroupKill: Absent,
		LifetimePeakUsageBytes: Absent, PeakSwapBytes: Absent}
	v := struct {
		*plain
		OOMKills *int64 `json:"oom_kills"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.OOMKills != nil && c.OOMKill == Absent {
		c.OOMKill = *v.OOMKills
	}
	return nil
}

// THPMode is what transparent huge pages were for the run.
type THPMode struct {
	// Scenario is the scenario's thp: key: "host" (the host's setting as
	// it is), "never" or "madvise".
	Scenario string `json:"scenario"`
	// Host is the host's mode, /sys/kernel/mm/transparent_hugepage/enabled:
	// always, madvise or never ("" where the kernel has no THP).
	Host string `json:"host"`
	// Effective is what the worker's memory got: "always" (any anonymous
	// mapping may get huge pages), "madvise" (only those madvised
	// MADV_HUGEPAGE), "never" ("" where the kernel has no THP).
	Effective string `json:"effective"`
}

// Expectation is one checked line of a scenario's expect: block.
type Expectation struct {
	Expr     string `json:"expr"`
	Passed   bool   `json:"passed"`
	Observed string `json:"observed"`
}

// Machine describes where a run happened.
type Machine struct {
	CPUBrand      string   `json:"cpu_brand"`
	PhysicalCores int      `json:"physical_cores"` // cpuid's count for the processor package: the host's, or what a hypervisor says
	LogicalCores  int      `json:"logical_cores"`  // likewise
	UsableCPUs    int      `json:"usable_cpus"`    // CPUs this process may run on (its affinity mask: cpuset, taskset)
	CPUQuota      float64  `json:"cpu_quota"`      // its cgroup's CPU bandwidth limit in CPUs; 0 for none
	L1DBytes      int      `json:"l1d_bytes"`
	L2Bytes       int      `json:"l2_bytes"`
	L3Bytes       int      `json:"l3_bytes"`
	Features      []string `json:"features"`
	Kernel        string   `json:"kernel"`
	PageSize      int      `json:"page_size"`
	MemTotalBytes int64    `json:"mem_total_bytes"`
	THP           string   `json:"thp"`            // the selected mode of transparent_hugepage/enabled
	Overcommit    int      `json:"overcommit"`     // vm.overcommit_memory
	CgroupVersion int      `json:"cgroup_version"` // of the memory controller: 1 or 2, 0 none
}
