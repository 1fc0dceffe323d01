/* A sampling thread in C: it wakes at an interval, reads a process's
 * /proc statm (resident and shared pages: RSS and anon) and a cgroup usage
 * file with pread, copies a shared status page's figures, and appends one
 * raw record to a ring that the Go side drains a few times a second. The
 * dearer files, stat (fault counts) and status (shmem, swap), are read only
 * every MS_SLOW_NS and at forced samples. C, because a Go program that
 * wakes 100 times a second costs about 1% of a core in runtime overhead
 * alone (timers, sysmon, thread hand-offs); this thread costs a few
 * microseconds per wake-up.
 *
 * With a limit, the thread samples every MS_FAST_NS instead of its interval
 * while the cgroup's usage, at its current growth, would reach the limit
 * within MS_HORIZON_NS, and faster still (down to MS_BURST_NS) when the
 * limit is closer than MS_TARGET samples of MS_FAST_NS: a fill that ends
 * in an OOM kill 50 ms after it starts still leaves a curve of about
 * MS_TARGET samples. A limited run starts fast, since its growth is not yet
 * known, and returns to its interval after MS_CALM_NS away from the limit. */
#ifndef MS_SAMPLER_H
#define MS_SAMPLER_H

#include <pthread.h>
#include <stdint.h>

#define MS_WORDS 8      /* header words and per-block words copied from the page */
#define MS_MAXPROC 16   /* worker processes sampled together */
#define MS_RING 8192    /* records; at 1 kHz drained every 250 ms, 8 s of slack */

#define MS_SLOW_NS 100000000LL     /* stat and status at most this often (forced samples aside) */
#define MS_MEMSTAT_NS 10000000LL   /* the cgroup's memory.stat at most this often, outside slow reads */
#define MS_MEMSTAT_FAST_NS 2000000LL /* ... and near a limit (fast mode) */
#define MS_FAST_NS 1000000LL       /* the interval near a limit */
#define MS_BURST_NS 250000LL       /* the shortest interval, when the limit is closer than MS_TARGET fast samples */
#define MS_TARGET 100              /* samples wanted before the limit */
#define MS_HORIZON_NS 2000000000LL /* "near": the limit within this time at the current growth */
#define MS_WINDOW_NS 10000000LL    /* growth measured over at least this long */
#define MS_CALM_NS 500000000LL     /* back to the interval after this long not near */

/* flags of a record */
#define MS_SLOW 1u /* stat and status were read for it: faults, shmem and swap are fresh */
#define MS_FAST 2u /* taken at a fast interval (MS_BURST_NS to MS_FAST_NS) */

typedef struct {
	int64_t t_ns;   /* CLOCK_MONOTONIC, minus the start given */
	int64_t rss, anon;                    /* bytes, from statm */
	int64_t file, shmem, swap;            /* bytes: shmem and swap from the last status read, file = shared - shmem */
	int64_t locked, hugetlb;              /* bytes, VmLck and HugetlbPages from the last status read */
	int64_t minflt, majflt;               /* from stat; -1 unless MS_SLOW */
	int64_t usage;                        /* cgroup usage, -1 without */
	int64_t cg_swap;                      /* cgroup swap usage, -1 without */
	int64_t cg_file, cg_shmem;            /* cgroup memory.stat page cache (shmem included) and shmem, -1 without */
	int64_t cg_anon_thp;                  /* cgroup memory.stat anon in transparent huge pages (v1 total_rss_huge, v2 anon_thp), -1 without */
	int64_t header[MS_WORDS];             /* the first live process's page header */
	int64_t hsums[MS_WORDS];              /* the page headers of the live processes, summed */
	int64_t sums[MS_WORDS];               /* every live process's per-thread blocks, summed word by word */
	uint32_t alive;                       /* bit i: process i was read */
	uint32_t flags;                       /* MS_SLOW, MS_FAST */
} ms_raw;

/* One sampled process: the figures of all of them are summed. */
typedef struct {
	int statm_fd, stat_fd, status_fd;
	const volatile int64_t *page;     /* header of MS_WORDS words, then blocks */
	int blocks;                       /* per-thread blocks of MS_WORDS words */
	int64_t shmem, swap;              /* bytes, at the last status read */
	int64_t locked, hugetlb;          /* bytes, at the last status read */
} ms_proc;

typedef struct {
	ms_proc procs[MS_MAXPROC];
	int nproc;
	int usage_fd;                     /* -1: none */
	int swap_fd, swap_memsw;          /* cgroup swap file (-1: none); memsw: memory+swap, less usage */
	int64_t limit;                    /* bytes; 0: no fast mode */
	int memstat_fd, memstat_v1;       /* cgroup memory.stat (-1: none); v1: total_cache and total_shmem, else file and shmem */
	int64_t cg_file_last, cg_shmem_last, cg_swap_stat_last, cg_anon_thp_last; /* memory.stat at its last read; -1: none */
	int64_t last_memstat_ns;          /* monotonic time of that read */
	int64_t start_ns, interval_ns;
	int64_t page_size;
	volatile int stop;
	/* the thread's own state */
	int64_t last_slow_ns;             /* monotonic time of the last stat/status read */
	int fast;                         /* sampling at fast_ns */
	int64_t fast_ns;                  /* MS_BURST_NS to MS_FAST_NS */
	int64_t anchor_ns, anchor_usage;  /* where the growth is measured from; anchor_ns 0: none */
	int64_t calm_since;               /* fast, but not near the limit since then; 0: near */
	uint64_t fast_switches;           /* times the fast mode was entered */
	uint64_t head;                    /* written by the thread */
	uint64_t tail;                    /* written by the drainer */
	uint64_t dropped;                 /* records lost to a full ring */
	pthread_t thread;
	/* Held while a record is taken and pushed, by the thread and by a
	 * forced sample: a forced sample never overtakes a record in progress
	 * (a read of /proc can wait long on the worker's mmap lock), so that
	 * records and forced samples come out in time order. */
	pthread_mutex_t lock;
	ms_raw ring[MS_RING];
} ms_sampler;

int ms_sampler_start(ms_sampler *s);
void ms_sampler_stop(ms_sampler *s);
int ms_sampler_drain(ms_sampler *s, ms_raw *dst, int max);
int ms_sample_once(ms_sampler *s, ms_raw *r, int slow);
int ms_sample_forced(ms_sampler *s, ms_raw *r);
/* ms_fast_interval: the fast-mode rule, exposed for tests: 0 when the limit
 * is not near (or there is none, or no growth), else the interval to
 * sample at. */
int64_t ms_fast_interval(int64_t limit, int64_t usage, int64_t grown, int64_t dt_ns);

#endif
