/*
 * replay.h: the trace replay engine (ops_replay.c). Plain C, no Go.
 *
 * A replay is an array of fixed-size ops (struct ms_rop) decoded from a
 * trace by the Go side into a read-only mapping of a temporary file, an
 * object table indexed by trace id, and, when several threads replay, one
 * done byte per op. Each thread walks its own ops (the `next` chain) and,
 * before an op that touches an object another thread touched last, waits
 * for that op's done byte: cross-thread frees and reuses of an id happen
 * in recorded order. Sync ops stand at the recorded program's RSS samples
 * and just after its peak of live bytes, one copy in every thread's chain:
 * all threads stop there (every op before it in recorded order done, none
 * after it begun) while thread 0 reads RssAnon and the live bytes, so
 * those readings are at the same point of the stream as the recorded ones
 * on any number of threads. None of it is allocated from the heap under
 * test.
 */
#ifndef MEMSTORM_REPLAY_H
#define MEMSTORM_REPLAY_H

#include <stdint.h>
#include "ops.h"

/* Ops: the numbers of trace.Op. */
enum { MS_ROP_MALLOC = 1, MS_ROP_CALLOC, MS_ROP_REALLOC, MS_ROP_FREE, MS_ROP_POSIX_MEMALIGN, MS_ROP_MMAP,
       MS_ROP_MUNMAP, MS_ROP_RSS, MS_ROP_ALIGNED_ALLOC = 10, MS_ROP_MEMALIGN, MS_ROP_VALLOC,
       MS_ROP_SYNC = 13 /* id: the sync's index; size: MS_SYNC_RSS or MS_SYNC_PEAK */ };
enum { MS_SYNC_RSS = 0, MS_SYNC_PEAK = 1 };

/* One op, 40 bytes; the Go side (alloc/replay.go) writes the same layout. */
typedef struct ms_rop {
	int64_t t;        /* ns since the trace began */
	uint64_t size;    /* requested bytes */
	uint32_t id, old; /* the object; realloc: old is given back */
	uint32_t dep, dep2; /* 1 + index of an op of another thread to wait for; 0: none */
	uint32_t next;    /* index of this thread's next op; UINT32_MAX: the last */
	uint16_t thread;
	uint8_t op, align_log2;
} ms_rop;

/* An object of the replay. */
typedef struct ms_robj {
	void *p;
	uint64_t size; /* bit 63: an mmap object */
} ms_robj;

typedef struct ms_replay_spec {
	const ms_rop *ops;
	int64_t nops;
	ms_robj *objs;      /* nobjs entries, zero */
	uint8_t *done;      /* nops bytes, zero; NULL with one thread */
	const uint32_t *first; /* per thread: index of its first op (UINT32_MAX: none) */
	int nthreads;
	int touch;          /* write a byte in every page of each new object */
	double speed;       /* 0: as fast as possible; else recorded time / speed */
	int64_t nsync;      /* sync points; each has nthreads ops (MS_ROP_SYNC, id k) */
	int64_t *rss;       /* sync k stores RssAnon at rss[k] (MS_SYNC_RSS; -1 for MS_SYNC_PEAK) */
	int64_t *live_at;   /* and the live requested bytes at live_at[k] */
	uint32_t *arrive;   /* nsync counters, zero: the threads arrived at sync k */
} ms_replay_spec;

typedef struct ms_replay_result {
	int64_t ops, failures, peak_live, ns;
	int err; /* a thread could not be started */
} ms_replay_result;

/* Runs the replay: thread 0 on the caller, the others on new threads.
 * e's counters (e->c) take the replay's objects; pub gets them as they
 * change (every few thousand ops) and at the end. */
void ms_replay_run(const ms_replay_spec *s, ms_engine *e, ms_counters *pub, ms_replay_result *r);

/* Frees the objects still live in objs (the program exited holding them);
 * e's counters lose them. Returns the bytes freed. */
int64_t ms_replay_release(ms_robj *objs, int64_t nobjs, ms_engine *e, ms_counters *pub);

#endif
