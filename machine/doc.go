// Package machine describes the host a run happened on for the report: CPU
// (via cpuid), kernel, page size, memory, transparent huge page mode,
// overcommit policy and which cgroup version holds the memory controller.
// Every figure that affects how an allocator behaves under memory pressure.
//
// Files are read below a procfs.FS and a sysfs root, so tests run against
// trees captured from real hosts; CPU and page size always come from the
// running machine.
package machine
