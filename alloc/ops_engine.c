/* ops_engine.c: batched fill / free / madvise loops over the slot array of ops.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "ops.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define PAGE 4096L
#define MIN_SLOTS 8192 /* 64 KiB of slots */
#define TAG_MALLOC 0
#define TAG_MMAP 1
#define SMALL_MAX 65535 /* largest size kept in the top 16 bits */
#define MMAP_SMALL_MAX ((1L << 25) - 1)
#define ADDR_MASK 0x0000FFFFFFFFFFF8ULL
#define PAGE_MASK 0x0000FFFFFFFFF000ULL
#define TIME_EVERY_OPS 64
#define TIME_EVERY_BYTES (16L << 20)

static inline int64_t page_round(int64_t n) { return (n + PAGE - 1) & ~(PAGE - 1); }

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

#define STORE(f) __atomic_store_n(&pub->f, e->c.f, __ATOMIC_RELAXED)
void ms_publish(ms_engine *e, ms_counters *pub)
{
	e->c.bookkeeping_bytes = PAGE + page_round(e->len * 8) + e->extra_book + ms_files_bytes(e);
	if (!pub)
		return;
	STORE(live_bytes);
	STORE(live_objects);
	STORE(alloc_bytes);
	STORE(free_bytes);
	STORE(alloc_ops);
	STORE(transient_peak_bytes);
	STORE(bookkeeping_bytes);
	STORE(failures);
}

void ms_note_transient(ms_engine *e, int64_t bytes)
{
	if (bytes > e->c.transient_peak_bytes)
		e->c.transient_peak_bytes = bytes;
}

ms_engine *ms_engine_new(uint64_t seed, int *err)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		*err = errno;
		return NULL;
	}
	ms_engine *e = p;
	ms_rng_seed(e->rng, seed);
	return e;
}

static int grow(ms_engine *e)
{
	void *p;
	if (e->cap == 0)
		p = mmap(NULL, MIN_SLOTS * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else /* mremap moves page tables, never copies: doubling stays cheap */
		p = mremap(e->slots, (size_t)e->cap * 8, (size_t)e->cap * 16, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return errno;
	e->slots = p;
	e->cap = e->cap ? e->cap * 2 : MIN_SLOTS;
	return 0;
}

/* Gives back bookkeeping pages past the live slots after a compaction. */
static void shrink(ms_engine *e, int64_t oldlen)
{
	int64_t cap = e->cap;
	while (cap > MIN_SLOTS && e->len * 4 < cap)
		cap /= 2;
	if (cap < e->cap) {
		void *p = mremap(e->slots, (size_t)e->cap * 8, (size_t)cap * 8, 0);
		if (p != MAP_FAILED) {
			e->cap = cap;
			if (oldlen > cap)
				oldlen = cap;
		}
	}
	int64_t keep = page_round(e->len * 8), used = page_round(oldlen * 8);
	if (used > keep)
		madvise((char *)e->slots + keep, (size_t)(used - keep), MADV_DONTNEED);
}

int64_t ms_slot(const ms_engine *e, int64_t i, uint64_t *addr, int *tag)
{
	uint64_t s = e->slots[i];
	int64_t size;
	uint64_t a;
	if ((s & 7) != TAG_MALLOC) { /* mmap, or a file extent (ops_file.c) */
		a = s & PAGE_MASK;
		size = (int64_t)(((s >> 48) << 9) | ((s >> 3) & 0x1ff));
	} else {
		a = s & ADDR_MASK;
		size = (int64_t)(s >> 48);
	}
	if (size == 0 && (s & 7) >= MS_TAG_FILE)
		size = ms_file_size(e, (int)(s & 7), a);
	else if (size == 0)
		memcpy(&size, (void *)a, 8);
	*addr = a;
	*tag = (int)(s & 7);
	return size;
}

static uint64_t encode(void *p, int64_t size, int tag)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	if (tag != TAG_MALLOC) {
		if (size <= MMAP_SMALL_MAX)
			return a | (uint64_t)tag | ((uint64_t)(size & 0x1ff) << 3) | ((uint64_t)(size >> 9) << 48);
	} else if (size <= SMALL_MAX) {
		return a | ((uint64_t)size << 48);
	}
	if (tag < MS_TAG_FILE) /* an extent holds its size already (ops_file.c) */
		memcpy(p, &size, 8);
	return a | (uint64_t)tag;
}

static void touch(void *p, int64_t size)
{
	volatile char *c = p;
	for (int64_t o = 0; o < size; o += PAGE)
		c[o] = 0x5a;
	c[size - 1] = 0x5a;
}

/* populate_write makes an mmap'd object resident with one
 * madvise(MADV_POPULATE_WRITE), or by touching it where the kernel does not
 * know the advice (EINVAL, before 5.14; remembered). Another failure (the
 * cgroup's limit: the OOM killer acts as it would at a touch) falls back to
 * touching too, which faults the same way. */
static void populate_write(ms_engine *e, void *p, int64_t size)
{
	if (!e->no_populate_write) {
		if (madvise(p, (size_t)page_round(size), MADV_POPULATE_WRITE) == 0) {
			e->pop.populated++;
			return;
		}
		if (errno == EINVAL)
			e->no_populate_write = 1;
	}
	e->pop.touched++;
	touch(p, size);
}

/* Allocates one object; returns NULL with *err set on failure, nothing leaked. */
static void *alloc_one(const ms_fill_spec *f, int64_t size, int *tag, int *err)
{
	void *p = NULL;
	*tag = TAG_MALLOC;
	errno = 0;
	switch (f->via) {
	case MS_VIA_MALLOC:
		p = malloc((size_t)size);
		break;
	case MS_VIA_CALLOC:
		p = calloc(1, (size_t)size);
		break;
	case MS_VIA_REALLOC: {
		int64_t cur = size < 16 ? size : 16;
		p = malloc((size_t)cur);
		while (p && cur < size) {
			cur = cur * 2 > size ? size : cur * 2;
			void *q = realloc(p, (size_t)cur);
			if (!q) {
				int saved = errno;
				free(p);
				errno = saved;
			}
			p = q;
		}
		break;
	}
	case MS_VIA_MEMALIGN: {
		int rc = posix_memalign(&p, (size_t)f->align, (size_t)size);
		if (rc) {
			p = NULL;
			errno = rc;
		}
		break;
	}
	case MS_VIA_MMAP: {
		*tag = TAG_MMAP;
		size_t len = (size_t)page_round(size); /* a multiple of the huge page size with MAP_HUGETLB (ms_fill rounds) */
		/* With a huge-page advice the pages come at the first touch (or
		 * populate), after madvise: MAP_POPULATE would fault them first. */
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | (f->populate == MS_POP_MAP ? MAP_POPULATE : 0);
		if (f->huge == MS_HUGE_2M)
			flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
		else if (f->huge == MS_HUGE_1G)
			flags |= MAP_HUGETLB | (30 << MAP_HUGE_SHIFT);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p == MAP_FAILED) {
			p = NULL;
			break;
		}
		int rc = 0;
		if (f->huge == MS_HUGE_THP || f->huge == MS_HUGE_NOTHP)
			rc = madvise(p, len, f->huge == MS_HUGE_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		if (rc == 0 && f->lock)
			rc = mlock(p, len); /* faults every page in, and keeps it */
		if (rc != 0) {
			int saved = errno;
			munmap(p, len);
			errno = saved;
			p = NULL;
		}
		break;
	}
	default:
		*err = EINVAL;
		return NULL;
	}
	if (!p)
		*err = errno ? errno : ENOMEM;
	return p;
}

static void release(uint64_t addr, int64_t size, int tag, int *err)
{
	if (tag == TAG_MMAP) {
		if (munmap((void *)addr, (size_t)page_round(size)) != 0 && !*err)
			*err = errno;
	} else {
		free((void *)addr);
	}
}

int ms_fill(ms_engine *e, const ms_fill_spec *spec, const int64_t *sizes, const double *cum, ms_counters *pub,
	    ms_fill_result *r)
{
	ms_fill_spec local = *spec; /* the caller's copy may be Go memory: store no pointers in it */
	ms_fill_spec *f = &local;
	memset(r, 0, sizeof *r);
	f->dist.sizes = sizes;
	f->dist.cum = cum;
	int64_t deadline = now_ns() + f->budget_ns, ops = 0, bytes = 0;
	int rc = 0;
	for (;;) {
		if ((f->max_count && r->count >= f->max_count) || (f->max_bytes && r->bytes >= f->max_bytes)) {
			r->status = MS_FILL_DONE;
			break;
		}
		if (ops >= TIME_EVERY_OPS || bytes >= TIME_EVERY_BYTES) {
			ms_publish(e, pub);
			if (now_ns() >= deadline) {
				r->status = MS_FILL_BUDGET;
				break;
			}
			ops = bytes = 0;
		}
		if (e->len == e->cap && (r->err = grow(e)) != 0) {
			r->status = MS_FILL_ENOMEM;
			e->c.failures++;
			break;
		}
		int64_t size = ms_sample(e->rng, &f->dist);
		if (f->via == MS_VIA_MMAP && (f->huge == MS_HUGE_2M || f->huge == MS_HUGE_1G)) {
			int64_t hp = f->huge == MS_HUGE_2M ? 2L << 20 : 1L << 30;
			size = (size + hp - 1) / hp * hp; /* whole huge pages: munmap needs them */
		}
		int tag, err = 0;
		void *p = f->via >= MS_VIA_FILE ? ms_file_alloc(e, f, size, &tag, &err) : alloc_one(f, size, &tag, &err);
		if (!p) {
			if (err == EINVAL && f->via > MS_VIA_MMAP) {
				rc = EINVAL;
				break;
			}
			r->status = MS_FILL_ENOMEM;
			r->err = err;
			r->failed_size = size;
			e->c.failures++;
			break;
		}
		if ((uintptr_t)p & 7 || (uint64_t)(uintptr_t)p >> 48) {
			/* The slot encoding needs 8-aligned 48-bit pointers; never seen on x86-64. */
			release((uint64_t)(uintptr_t)p, size, tag, &err);
			rc = EFAULT;
			break;
		}
		if (f->lock)
			; /* mlock made it resident */
		else if (f->populate == MS_POP_WRITE)
			populate_write(e, p, size);
		else if (f->touch && f->populate != MS_POP_MAP && tag < MS_TAG_FILE) /* a file extent was written */
			touch(p, size);
		e->slots[e->len++] = encode(p, size, tag);
		e->mmap_live += tag == TAG_MMAP;
		e->c.live_bytes += size;
		e->c.live_objects++;
		e->c.alloc_bytes += size;
		e->c.alloc_ops++;
		r->bytes += size;
		r->count++;
		ops++;
		bytes += size;
	}
	ms_publish(e, pub);
	return rc;
}

int ms_free(ms_engine *e, const ms_selection *sel, ms_counters *pub, int64_t *bytes, int64_t *count)
{
	ms_selector s;
	int64_t n = e->len, from = ms_window_start(sel, n);
	int err = ms_selector_init(&s, sel, n - from);
	*bytes = *count = 0;
	if (err)
		return err;
	int64_t w = from;
	int stopped = 0; /* the page set could not grow: keep this object and the rest */
	for (int64_t i = from; i < n; i++) {
		uint64_t addr;
		int tag;
		int64_t size = ms_slot(e, i, &addr, &tag);
		int pick = stopped ? 0 : ms_selector_pick(&s, addr, size);
		if (pick < 0) {
			stopped = 1;
			if (!err)
				err = ENOMEM;
		}
		if (pick <= 0) {
			e->slots[w++] = e->slots[i];
			continue;
		}
		if (tag >= MS_TAG_FILE)
			ms_file_release(e, tag, addr, size, &err);
		else
			release(addr, size, tag, &err);
		e->mmap_live -= tag == TAG_MMAP;
		e->c.live_bytes -= size;
		e->c.live_objects--;
		e->c.free_bytes += size;
		*bytes += size;
		(*count)++;
		if ((*count & 4095) == 0)
			ms_publish(e, pub);
	}
	ms_note_transient(e, s.peak_bytes);
	ms_selector_fini(&s);
	e->len = w;
	shrink(e, n);
	ms_publish(e, pub);
	return err;
}

int ms_madvise(ms_engine *e, const ms_selection *sel, int advice, ms_counters *pub, int64_t *bytes, int64_t *count)
{
	ms_selector s;
	int err = ms_selector_init(&s, sel, e->mmap_live);
	*bytes = *count = 0;
	if (err)
		return err;
	for (int64_t i = 0; i < e->len; i++) {
		uint64_t addr;
		int tag;
		int64_t size = ms_slot(e, i, &addr, &tag);
		if (tag != TAG_MMAP)
			continue;
		int pick = ms_selector_pick(&s, addr, size);
		if (pick < 0) {
			err = ENOMEM;
			break;
		}
		if (!pick)
			continue;
		int64_t len = page_round(size);
		if (madvise((void *)addr, (size_t)len, advice) != 0) {
			err = errno;
			break;
		}
		*bytes += len;
		(*count)++;
	}
	ms_note_transient(e, s.peak_bytes);
	ms_selector_fini(&s);
	ms_publish(e, pub);
	return err;
}

void ms_sample_batch(ms_engine *e, const ms_dist *dist, const int64_t *sizes, const double *cum, int64_t *out, int64_t n)
{
	ms_dist d = *dist;
	d.sizes = sizes;
	d.cum = cum;
	for (int64_t i = 0; i < n; i++)
		out[i] = ms_sample(e->rng, &d);
}

int ms_engine_close(ms_engine *e, ms_counters *pub)
{
	ms_selection all = {.pattern = MS_SEL_ALL};
	int64_t b, c;
	int err = ms_free(e, &all, pub, &b, &c);
	if (e->slots)
		munmap(e->slots, (size_t)e->cap * 8);
	e->slots = NULL;
	e->len = e->cap = 0;
	e->extra_book = 0;
	ms_files_close(e);
	ms_publish(e, pub);
	e->c.bookkeeping_bytes = 0;
	if (pub)
		__atomic_store_n(&pub->bookkeeping_bytes, 0, __ATOMIC_RELAXED);
	munmap(e, PAGE);
	return err;
}
