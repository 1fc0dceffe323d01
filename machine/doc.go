// Package machine describes the host a run happened on for the report: CPU
// (via cpuid), kernel, page size, memory, transparent huge page mode,
// overcommit policy and which cgroup version holds the memory controller.
// Every figure that affects how an allocator behaves under memory pressure.
//
// Files are read below cgroup.Roots, the same roots cgroup.Detect takes, so
// tests run against trees captured from real hosts; CPU and page size always
// come from the running machine. The cgroup version is cgroup.Detect's
// answer, not decided again here.
package machine
