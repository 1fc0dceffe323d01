/* ops_replay.c: replays a trace's ops (replay.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <time.h>
#include <malloc.h>
#include "replay.h"

#define RPAGE 4096UL
#define MMAP_BIT (1ULL << 63)
#define FLUSH_EVERY 4096

typedef struct rthread {
	const ms_replay_spec *s;
	ms_engine *e;
	ms_counters *pub;
	int idx;
	int64_t start;
	/* local deltas, flushed into e->c */
	int64_t live, objects, alloc_bytes, free_bytes, alloc_ops, failures, ops;
	int64_t peak; /* one thread: exact peak of e->c.live_bytes */
	int64_t *shared_peak;
} rthread;

static int64_t rnow(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void touch(void *p, uint64_t from, uint64_t to)
{
	volatile char *c = p;
	for (uint64_t o = from; o < to; o += RPAGE - ((uintptr_t)(c + o) & (RPAGE - 1)))
		c[o] = 1;
}

static void flush(rthread *t)
{
	ms_engine *e = t->e;
	if (t->s->nthreads > 1) {
		__atomic_fetch_add(&e->c.live_objects, t->objects, __ATOMIC_RELAXED);
		__atomic_fetch_add(&e->c.alloc_bytes, t->alloc_bytes, __ATOMIC_RELAXED);
		__atomic_fetch_add(&e->c.free_bytes, t->free_bytes, __ATOMIC_RELAXED);
		__atomic_fetch_add(&e->c.alloc_ops, t->alloc_ops, __ATOMIC_RELAXED);
		__atomic_fetch_add(&e->c.failures, t->failures, __ATOMIC_RELAXED);
	} else {
		e->c.live_bytes += t->live;
		e->c.live_objects += t->objects;
		e->c.alloc_bytes += t->alloc_bytes;
		e->c.free_bytes += t->free_bytes;
		e->c.alloc_ops += t->alloc_ops;
		e->c.failures += t->failures;
	}
	t->live = t->objects = t->alloc_bytes = t->free_bytes = t->alloc_ops = t->failures = 0;
	/* Every thread publishes what it has read of the totals: thread 0 may
	 * have finished long before the others. */
	if (t->pub) {
		ms_counters *pub = t->pub;
#define PUB(f) __atomic_store_n(&pub->f, __atomic_load_n(&e->c.f, __ATOMIC_RELAXED), __ATOMIC_RELAXED)
		PUB(live_bytes);
		PUB(live_objects);
		PUB(alloc_bytes);
		PUB(free_bytes);
		PUB(alloc_ops);
		PUB(failures);
#undef PUB
	}
}

/* live changes the live bytes by d and keeps the peak. */
static inline void live(rthread *t, int64_t d)
{
	if (t->s->nthreads == 1) {
		t->live += d;
		int64_t now = t->e->c.live_bytes + t->live;
		if (now > t->peak)
			t->peak = now;
		return;
	}
	int64_t now = __atomic_add_fetch(&t->e->c.live_bytes, d, __ATOMIC_RELAXED);
	int64_t p = __atomic_load_n(t->shared_peak, __ATOMIC_RELAXED);
	while (now > p && !__atomic_compare_exchange_n(t->shared_peak, &p, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void wait_done(const uint8_t *done, uint32_t dep)
{
	if (dep == 0)
		return;
	for (int spins = 0; !__atomic_load_n(&done[dep - 1], __ATOMIC_ACQUIRE); spins++) {
		if (spins < 200)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
}

static void release(rthread *t, ms_robj *o)
{
	if (o->p == NULL) {
		o->size = 0;
		return;
	}
	uint64_t size = o->size & ~MMAP_BIT;
	if (o->size & MMAP_BIT)
		munmap(o->p, size);
	else
		free(o->p);
	live(t, -(int64_t)size);
	t->objects--;
	t->free_bytes += (int64_t)size;
	o->p = NULL;
	o->size = 0;
}

/* rss_anon reads RssAnon from /proc/self/status, bytes; -1 when it cannot. */
static int64_t rss_anon(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strstr(buf, "\nRssAnon:");
	if (p == NULL)
		return -1;
	int64_t kb = 0;
	for (p += 9; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p >= '0' && *p <= '9'; p++)
		kb = kb * 10 + (*p - '0');
	return kb * 1024;
}

/* sync stops every thread at sync point op->id: thread 0 waits for all to
 * arrive, reads RssAnon and the live bytes, and lets them go on. */
static void sync_point(rthread *t, const ms_rop *op)
{
	const ms_replay_spec *s = t->s;
	uint32_t k = op->id, n = (uint32_t)s->nthreads;
	if (k >= s->nsync)
		return;
	if (n > 1) {
		uint32_t *a = &s->arrive[k];
		uint32_t want = t->idx == 0 ? n : n + 1;
		__atomic_add_fetch(a, 1, __ATOMIC_ACQ_REL);
		for (int spins = 0; __atomic_load_n(a, __ATOMIC_ACQUIRE) < want; spins++) {
			if (spins < 200)
				__builtin_ia32_pause();
			else
				sched_yield();
		}
		if (t->idx != 0)
			return;
	}
	s->live_at[k] = n > 1 ? __atomic_load_n(&t->e->c.live_bytes, __ATOMIC_ACQUIRE) : t->e->c.live_bytes + t->live;
	s->rss[k] = op->size == MS_SYNC_RSS ? rss_anon() : -1;
	if (n > 1)
		__atomic_store_n(&s->arrive[k], n + 1, __ATOMIC_RELEASE);
}

static void *one(rthread *t, const ms_rop *op)
{
	if (op->op == MS_ROP_SYNC) {
		sync_point(t, op);
		return NULL;
	}
	ms_robj *objs = t->s->objs;
	ms_robj *o = &objs[op->id];
	size_t size = (size_t)op->size, align = (size_t)1 << op->align_log2;
	void *p = NULL;
	uint64_t from = 0;
	switch (op->op) {
	case MS_ROP_FREE:
	case MS_ROP_MUNMAP:
		release(t, o);
		return NULL;
	case MS_ROP_MALLOC: p = malloc(size); break;
	case MS_ROP_CALLOC: p = calloc(1, size); break;
	case MS_ROP_POSIX_MEMALIGN:
		if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size) != 0)
			p = NULL;
		break;
	case MS_ROP_ALIGNED_ALLOC: p = aligned_alloc(align, (size + align - 1) & ~(align - 1)); break;
	case MS_ROP_MEMALIGN: p = memalign(align, size); break;
	case MS_ROP_VALLOC: p = valloc(size); break;
	case MS_ROP_MMAP:
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
		break;
	case MS_ROP_REALLOC: {
		ms_robj *old = &objs[op->old];
		uint64_t osize = old->size & ~MMAP_BIT;
		if (old->p == NULL) {
			p = malloc(size);
		} else {
			p = realloc(old->p, size);
			if (p == NULL) { /* the old block stays; the trace says it went */
				release(t, old);
				break;
			}
			from = osize < size ? osize : size;
			live(t, -(int64_t)osize);
			t->objects--;
			t->free_bytes += (int64_t)osize;
			old->p = NULL;
			old->size = 0;
		}
		break;
	}
	default:
		return NULL;
	}
	t->alloc_ops++;
	if (p == NULL) {
		t->failures++;
		o->p = NULL;
		o->size = 0;
		return NULL;
	}
	o->p = p;
	o->size = size | (op->op == MS_ROP_MMAP ? MMAP_BIT : 0);
	live(t, (int64_t)size);
	t->objects++;
	t->alloc_bytes += (int64_t)size;
	if (t->s->touch && size > 0)
		touch(p, from, size);
	return p;
}

static void *loop(void *arg)
{
	rthread *t = arg;
	const ms_replay_spec *s = t->s;
	uint32_t i = s->first[t->idx];
	int64_t n = 0;
	while (i != UINT32_MAX && (int64_t)i < s->nops) {
		const ms_rop *op = &s->ops[i];
		if (s->done) {
			wait_done(s->done, op->dep);
			wait_done(s->done, op->dep2);
		}
		if (s->speed > 0) {
			int64_t due = t->start + (int64_t)((double)op->t / s->speed);
			if (due - rnow() > 20000) {
				struct timespec ts = {due / 1000000000L, due % 1000000000L};
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		}
		one(t, op);
		if (s->done)
			__atomic_store_n(&s->done[i], 1, __ATOMIC_RELEASE);
		if (++n % FLUSH_EVERY == 0)
			flush(t);
		i = op->next;
	}
	t->ops = n;
	flush(t);
	return NULL;
}

void ms_replay_run(const ms_replay_spec *s, ms_engine *e, ms_counters *pub, ms_replay_result *r)
{
	memset(r, 0, sizeof *r);
	int n = s->nthreads < 1 ? 1 : s->nthreads;
	size_t bytes = (size_t)n * sizeof(rthread) + sizeof(pthread_t) * (size_t)n;
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		r->err = errno;
		return;
	}
	rthread *ts = m;
	pthread_t *tids = (pthread_t *)(ts + n);
	int64_t peak = e->c.live_bytes;
	int64_t failures0 = e->c.failures;
	int64_t start = rnow();
	for (int i = 0; i < n; i++)
		ts[i] = (rthread){.s = s, .e = e, .pub = pub, .idx = i, .start = start, .peak = e->c.live_bytes, .shared_peak = &peak};
	int started = 1;
	for (; started < n; started++) {
		int rc = pthread_create(&tids[started], NULL, loop, &ts[started]);
		if (rc != 0) {
			r->err = rc;
			break;
		}
	}
	if (r->err == 0)
		loop(&ts[0]);
	for (int i = 1; i < started; i++)
		pthread_join(tids[i], NULL);
	r->ns = rnow() - start;
	for (int i = 0; i < n; i++)
		r->ops += ts[i].ops;
	r->peak_live = n == 1 ? ts[0].peak : peak;
	r->failures = e->c.failures - failures0;
	ms_publish(e, pub);
	munmap(m, bytes);
}

int64_t ms_replay_release(ms_robj *objs, int64_t nobjs, ms_engine *e, ms_counters *pub)
{
	ms_replay_spec s = {.nthreads = 1, .objs = objs};
	rthread t = {.s = &s, .e = e, .pub = pub};
	for (int64_t i = 0; i < nobjs; i++)
		release(&t, &objs[i]);
	int64_t freed = t.free_bytes;
	flush(&t);
	ms_publish(e, pub);
	return freed;
}
