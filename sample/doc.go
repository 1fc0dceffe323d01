// Package sample takes the periodic samples of a worker process from a
// sampling thread written in C.
//
// A Go program that wakes a hundred times a second spends about 1% of a
// core on the wake-ups alone (timers, the runtime's sysmon, hand-offs
// between threads), measured on a 2-core VM with a bare time.Sleep loop:
// more than memstorm's budget for watching a worker. The thread here sleeps
// with clock_nanosleep, reads /proc/<pid>/statm (resident and shared pages:
// RSS and anon, the cheapest /proc file with them) and the cgroup's usage
// file with pread into a stack buffer, copies the worker's shared status
// page, and appends a record to a ring; the supervisor drains the ring a
// few times a second. stat (fault counts) and status (shmem, swap) cost
// several times more to generate and are read only every SlowEvery and at
// forced samples. Near a cgroup limit the thread samples every FastEvery,
// so a fill that is OOM-killed within a second still leaves a curve. The
// raw records are plain numbers: turning them into report samples is the
// supervisor's business.
package sample
