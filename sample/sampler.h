/* A sampling thread in C: it wakes at a fixed interval, reads a process's
 * /proc status and stat files and a cgroup usage file with pread, copies a
 * shared status page's figures, and appends one raw record to a ring that
 * the Go side drains a few times a second. C, because a Go program that
 * wakes 100 times a second costs about 1% of a core in runtime overhead
 * alone (timers, sysmon, thread hand-offs); this thread costs a few
 * microseconds per wake-up. */
#ifndef MS_SAMPLER_H
#define MS_SAMPLER_H

#include <pthread.h>
#include <stdint.h>

#define MS_WORDS 8      /* header words and per-block words copied from the page */
#define MS_MAXPROC 16   /* worker processes sampled together */
#define MS_RING 4096    /* records; at 100 Hz drained every 100 ms, 40 s of slack */

typedef struct {
	int64_t t_ns;   /* CLOCK_MONOTONIC, minus the start given */
	int64_t rss, anon, file, shmem, swap; /* bytes, from status */
	int64_t minflt, majflt;               /* from stat */
	int64_t usage;                        /* cgroup usage, -1 without */
	int64_t cg_swap;                      /* cgroup swap usage, -1 without */
	int64_t cg_file, cg_shmem;            /* cgroup memory.stat page cache (shmem included) and shmem, -1 without */
	int64_t header[MS_WORDS];             /* the first live process's page header */
	int64_t hsums[MS_WORDS];              /* the page headers of the live processes, summed */
	int64_t sums[MS_WORDS];               /* every live process's per-thread blocks, summed word by word */
	uint32_t alive;                       /* bit i: process i was read */
	int32_t pad;
} ms_raw;

/* One sampled process: the figures of all of them are summed. */
typedef struct {
	int status_fd, stat_fd;
	const volatile int64_t *page;     /* header of MS_WORDS words, then blocks */
	int blocks;                       /* per-thread blocks of MS_WORDS words */
} ms_proc;

typedef struct {
	ms_proc procs[MS_MAXPROC];
	int nproc;
	int usage_fd;                     /* -1: none */
	int swap_fd, swap_memsw;          /* cgroup swap file (-1: none); memsw: memory+swap, less usage */
	int memstat_fd, memstat_v1;       /* cgroup memory.stat (-1: none); v1: total_cache and total_shmem, else file and shmem */
	int64_t start_ns, interval_ns;
	volatile int stop;
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
int ms_sample_once(ms_sampler *s, ms_raw *r);
int ms_sample_forced(ms_sampler *s, ms_raw *r);

#endif
