package sample

/*
#cgo CFLAGS: -O2 -Wall
#cgo LDFLAGS: -lpthread
#include <stdlib.h>
#include "sampler.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Words is the number of int64 words of the page header, and of each
// per-thread block, that a record carries.
const Words = C.MS_WORDS

// MaxProcs is how many processes one thread samples together.
const MaxProcs = C.MS_MAXPROC

// Intervals and bounds of the C thread (sampler.h).
const (
	// SlowEvery: stat (fault counts) and status (shmem, swap) are read at
	// most this often, and at every forced sample; statm (RSS, anon) at
	// every sample.
	SlowEvery = time.Duration(C.MS_SLOW_NS)
	// FastEvery is the interval while a limit is near (see Source.Limit).
	FastEvery = time.Duration(C.MS_FAST_NS)
	// BurstEvery is the shortest interval: the thread aims at Target
	// samples before the limit, between BurstEvery and FastEvery apart.
	BurstEvery = time.Duration(C.MS_BURST_NS)
	// Target is how many samples the thread aims at before a limit.
	Target = C.MS_TARGET
	// Horizon: "near" means the usage, at its growth over the last
	// interval, would reach the limit within this time.
	Horizon = time.Duration(C.MS_HORIZON_NS)
	// Calm is how long the limit must stay far before the interval returns.
	Calm = time.Duration(C.MS_CALM_NS)
)

// Proc is one sampled process.
type Proc struct {
	// /proc/<pid>/statm, stat and status, open.
	Statm, Stat, Status *os.File
	// Page is shared memory that is not the Go heap (an mmap): Words header
	// words, then Blocks blocks of Words words, read with relaxed atomics.
	Page   []byte
	Blocks int
}

// Source is what the sampling thread reads: one or more processes, whose
// figures a record sums, and their cgroup's usage file (nil without one).
type Source struct {
	Procs []Proc
	Usage *os.File
	// Swap is the cgroup's swap usage file (nil without one); SwapMemsw:
	// it holds memory plus swap (v1 memsw), and Usage is subtracted.
	Swap      *os.File
	SwapMemsw bool
	// Limit is the cgroup's limit in bytes, 0 without one. With a limit
	// and a usage file, the thread starts at FastEvery, and samples every
	// FastEvery (BurstEvery to FastEvery, aiming at Target samples) while
	// the usage is predicted to reach the limit within Horizon; after Calm
	// away from it, at the interval given to New.
	Limit int64
	// MemStat is the cgroup's memory.stat (nil without one), read for its
	// page cache and shmem: total_cache and total_shmem when MemStatV1,
	// file and shmem on v2 (page cache there too includes shmem).
	MemStat   *os.File
	MemStatV1 bool
}

// Raw is one record: what the thread read at one instant, summed over the
// processes that were alive.
type Raw struct {
	T         time.Duration // since the start given to New
	RSS, Anon int64         // bytes, from statm at this instant
	// Shmem, Swap, Locked (VmLck) and HugeTLB (HugetlbPages) are those of
	// the last status read (every SlowEvery); File is statm's shared bytes
	// less that Shmem.
	File, Shmem, Swap, Locked, HugeTLB int64
	// MinFlt and MajFlt are -1 unless Slow.
	MinFlt, MajFlt int64
	Usage          int64 // -1 without a cgroup
	CgroupSwap     int64 // -1 without a swap-accounting cgroup
	// CgroupFile (memory.stat page cache, shmem included) and CgroupShmem;
	// -1 without.
	CgroupFile, CgroupShmem int64
	// CgroupAnonTHP is the cgroup's anon in transparent huge pages (v1
	// memory.stat total_rss_huge, v2 anon_thp), read with CgroupFile; -1
	// without.
	CgroupAnonTHP    int64
	Slow             bool         // stat and status were read for this record
	Fast             bool         // taken at FastEvery, near the limit
	Header           [Words]int64 // the first live process's page header
	HeaderSums, Sums [Words]int64 // every live process's header, and blocks, summed
	Alive            uint32       // bit i: process i was read
}

// Thread is a running sampling thread.
type Thread struct {
	c            *C.ms_sampler
	src          Source // keeps the files open while C reads their descriptors
	buf          []C.ms_raw
	dropped      uint64 // after Stop
	fastSwitches uint64 // after Stop
}

// Now is the monotonic clock the records are timed by, in nanoseconds.
func Now() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// New prepares a thread reading src; records are timed from startNs (a
// value of Now). It takes no sample until Start.
func New(src Source, startNs int64, every time.Duration) (*Thread, error) {
	if len(src.Procs) == 0 || len(src.Procs) > MaxProcs {
		return nil, fmt.Errorf("sample: want 1 to %d processes, got %d", MaxProcs, len(src.Procs))
	}
	for i, p := range src.Procs {
		if p.Statm == nil || p.Status == nil || p.Stat == nil {
			return nil, fmt.Errorf("sample: process %d needs open statm, status and stat files", i)
		}
		if need := (1 + p.Blocks) * Words * 8; len(p.Page) < need {
			return nil, fmt.Errorf("sample: process %d's page holds %d bytes, %d blocks need %d", i, len(p.Page), p.Blocks, need)
		}
	}
	if every <= 0 {
		return nil, fmt.Errorf("sample: interval %v is not positive", every)
	}
	c := (*C.ms_sampler)(C.calloc(1, C.size_t(unsafe.Sizeof(C.ms_sampler{}))))
	if c == nil {
		return nil, errors.New("sample: out of memory for the sampler")
	}
	for i, p := range src.Procs {
		c.procs[i].statm_fd = C.int(p.Statm.Fd())
		c.procs[i].status_fd = C.int(p.Status.Fd())
		c.procs[i].stat_fd = C.int(p.Stat.Fd())
		c.procs[i].page = (*C.int64_t)(unsafe.Pointer(&p.Page[0]))
		c.procs[i].blocks = C.int(p.Blocks)
	}
	c.nproc = C.int(len(src.Procs))
	c.usage_fd = -1
	if src.Usage != nil {
		c.usage_fd = C.int(src.Usage.Fd())
	}
	c.swap_fd = -1
	if src.Swap != nil {
		c.swap_fd, c.swap_memsw = C.int(src.Swap.Fd()), C.int(btoi(src.SwapMemsw))
	}
	if src.Limit < 0 {
		C.free(unsafe.Pointer(c))
		return nil, fmt.Errorf("sample: limit %d is negative", src.Limit)
	}
	c.limit = C.int64_t(src.Limit)
	c.page_size = C.int64_t(os.Getpagesize())
	c.memstat_fd = -1
	c.cg_file_last, c.cg_shmem_last, c.cg_swap_stat_last, c.cg_anon_thp_last = -1, -1, -1, -1
	if src.MemStat != nil {
		c.memstat_fd = C.int(src.MemStat.Fd())
		if src.MemStatV1 {
			c.memstat_v1 = 1
		}
	}
	c.start_ns = C.int64_t(startNs)
	c.interval_ns = C.int64_t(every.Nanoseconds())
	return &Thread{c: c, src: src, buf: make([]C.ms_raw, 256)}, nil
}

// Start starts the thread.
func (t *Thread) Start() error {
	if rc := C.ms_sampler_start(t.c); rc != 0 {
		return fmt.Errorf("sample: starting the sampling thread: %w", unix.Errno(rc))
	}
	return nil
}

// Once takes one record now, on the calling thread (a sample at a phase
// boundary). ok is false when every process is gone.
func (t *Thread) Once() (r Raw, ok bool) {
	var c C.ms_raw
	if C.ms_sample_forced(t.c, &c) != 0 {
		return Raw{}, false
	}
	return fromC(&c), true
}

// Drain appends the records taken since the last drain to dst.
func (t *Thread) Drain(dst []Raw) []Raw {
	for {
		n := int(C.ms_sampler_drain(t.c, &t.buf[0], C.int(len(t.buf))))
		for i := 0; i < n; i++ {
			dst = append(dst, fromC(&t.buf[i]))
		}
		if n < len(t.buf) {
			return dst
		}
	}
}

// Dropped is how many records were lost to a full ring (the drainer fell
// more than 4096 records behind).
func (t *Thread) Dropped() uint64 {
	if t.c == nil {
		return t.dropped
	}
	return uint64(t.c.dropped)
}

// FastSwitches is how many times the thread entered its fast interval;
// read after Stop.
func (t *Thread) FastSwitches() uint64 { return t.fastSwitches }

// Stop stops the thread (within 50 ms) and frees it; records not drained
// are lost, so drain first.
func (t *Thread) Stop() {
	C.ms_sampler_stop(t.c)
	t.dropped = uint64(t.c.dropped)
	t.fastSwitches = uint64(t.c.fast_switches)
	C.free(unsafe.Pointer(t.c))
	t.c = nil
}

func fromC(c *C.ms_raw) Raw {
	r := Raw{
		T:   time.Duration(c.t_ns),
		RSS: int64(c.rss), Anon: int64(c.anon), File: int64(c.file), Shmem: int64(c.shmem), Swap: int64(c.swap),
		Locked: int64(c.locked), HugeTLB: int64(c.hugetlb),
		MinFlt: int64(c.minflt), MajFlt: int64(c.majflt), Usage: int64(c.usage), CgroupSwap: int64(c.cg_swap), Alive: uint32(c.alive),
		Slow: c.flags&C.MS_SLOW != 0, Fast: c.flags&C.MS_FAST != 0,
		CgroupFile: int64(c.cg_file), CgroupShmem: int64(c.cg_shmem), CgroupAnonTHP: int64(c.cg_anon_thp),
	}
	for i := 0; i < Words; i++ {
		r.Header[i] = int64(c.header[i])
		r.HeaderSums[i] = int64(c.hsums[i])
		r.Sums[i] = int64(c.sums[i])
	}
	return r
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fastInterval is the C thread's rule for its fast interval: 0 when the
// limit is not near.
func fastInterval(limit, usage, grown int64, dt time.Duration) time.Duration {
	return time.Duration(C.ms_fast_interval(C.int64_t(limit), C.int64_t(usage), C.int64_t(grown), C.int64_t(dt)))
}
