// Package sample takes the periodic samples of a worker process from a
// sampling thread written in C.
//
// A Go program that wakes a hundred times a second spends about 1% of a
// core on the wake-ups alone (timers, the runtime's sysmon, hand-offs
// between threads), measured on a 2-core VM with a bare time.Sleep loop:
// more than memstorm's budget for watching a worker. The thread here sleeps
// with clock_nanosleep, reads /proc/<pid>/status and stat and the cgroup's
// usage file with pread into a stack buffer, copies the worker's shared
// status page, and appends a record to a ring; the supervisor drains the
// ring a few times a second. The raw records are plain numbers: turning
// them into report samples is the supervisor's business.
package sample
