/*
 * preload.c: memstorm's recording shim, loaded with LD_PRELOAD by
 * `memstorm record`. It interposes the malloc family and anonymous
 * mmap/munmap and appends one fixed-size record per call to the file named
 * by MEMSTORM_RECORD_FILE, which `memstorm record` turns into a trace.
 *
 * Safety, in the order things go wrong in real programs:
 * - Reentrancy: dlsym may call calloc before the real one is known; those
 *   calls are served from a static buffer (and never freed). A thread-local
 *   busy flag makes any allocation the shim's own work causes (and a signal
 *   handler's malloc landing in the middle of a record) pass through
 *   unrecorded.
 * - Threads: each thread writes into a block of slots of its own (64
 *   slots at first, doubling to 4096), claimed with one atomic add on the
 *   file's shared counter, so threads neither wait for each other nor
 *   share cache lines. Records are stamped with the CPU's time-stamp
 *   counter (x86-64, where the kernel's own clocksource is the TSC, which
 *   it is only when the TSC is constant and synchronised across CPUs)
 *   and the converter merges the
 *   threads' blocks by it. A free reads the counter before calling the
 *   real free, an allocation after the real call returns with RDTSCP
 *   (which waits for the loads before it), so an address handed from one
 *   thread's free to another's malloc is stamped in that order. The header
 *   carries (counter, CLOCK_MONOTONIC) pairs, taken when the file is
 *   claimed, at every block claim (at most every millisecond) and at exit,
 *   by which the converter turns counts into nanoseconds. Where the
 *   kernel's clocksource is not the TSC, and off x86-64, the stamp is
 *   CLOCK_MONOTONIC itself.
 * - Buffers: records go straight into MAP_SHARED chunks of the file (the
 *   kernel writes them back; nothing is copied or flushed by the program).
 *   A new chunk is mapped by whichever thread first needs it, under a lock
 *   taken once per 2^20 records.
 * - Fork and exec: only the process that creates the file (O_EXCL) records;
 *   a forked child stops recording (pthread_atfork), and a program it
 *   executes finds the file taken and records nothing. The header holds
 *   the recording process's pid: when that process itself executes a
 *   program (a wrapper script's `exec`, `#!/usr/bin/env python3`, pyenv's
 *   shims), the new image has the same pid, takes the file over and
 *   starts it afresh, so the trace is the last program the process ran.
 * - Exit without free: nothing to do; the file holds every record written,
 *   and the converter counts what stayed live.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MSR_MAGIC "MSRAW002"
#define MSR_HEADER 4096
#define MSR_CHUNK_RECS (1 << 20)
#define MSR_MAX_CHUNKS 8192
#define MSR_BLOCK_MIN 64
#define MSR_BLOCK_MAX 4096

/* One call; 40 bytes. The Go side (record/raw.go) reads the same layout. */
struct msr_rec {
	uint64_t t;   /* time stamp: TSC counts (header clock 1) or CLOCK_MONOTONIC ns (0) */
	uint64_t a;   /* result pointer; free/munmap: the pointer */
	uint64_t b;   /* size; munmap: length */
	uint64_t c;   /* realloc: old pointer; aligned ops: alignment */
	uint32_t tid; /* gettid() */
	uint32_t op;  /* trace.Op; 0: claimed, never written */
};

struct msr_header {
	char magic[8];
	uint64_t count; /* slots claimed */
	uint64_t lost;  /* calls not recorded (no chunk could be mapped) */
	int32_t pid;    /* the recording process */
	int32_t clock;      /* 1: records stamped with the TSC; 0: with CLOCK_MONOTONIC ns */
	uint64_t init_ns;   /* CLOCK_MONOTONIC when this image claimed the file */
	uint64_t init_anon; /* its RssAnon then, bytes: the program before its heap */
	uint64_t init_tick; /* the stamp at init_ns */
	uint64_t cal_tick;  /* the latest (stamp, CLOCK_MONOTONIC) pair */
	uint64_t cal_ns;
};

enum { OP_MALLOC = 1, OP_CALLOC, OP_REALLOC, OP_FREE, OP_POSIX_MEMALIGN, OP_MMAP, OP_MUNMAP,
       OP_ALIGNED_ALLOC = 10, OP_MEMALIGN, OP_VALLOC };

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);

static int msr_fd = -1;
static char msr_path[4096];

static volatile int msr_on; /* recording in this process */
static int msr_resolved;
static struct msr_header *msr_hdr;
static struct msr_rec *msr_chunks[MSR_MAX_CHUNKS];
static int msr_lock;

static __thread int msr_busy __attribute__((tls_model("initial-exec")));
static __thread uint32_t msr_tid __attribute__((tls_model("initial-exec")));

/* dlsym's own allocations, before the real calloc is known. */
static char msr_boot[16384] __attribute__((aligned(64)));
static size_t msr_boot_used;

static int in_boot(void *p) { return (char *)p >= msr_boot && (char *)p < msr_boot + sizeof msr_boot; }

static void *boot_alloc(size_t n)
{
	n = (n + 63) & ~(size_t)63;
	size_t at = __atomic_fetch_add(&msr_boot_used, n, __ATOMIC_RELAXED);
	if (at + n > sizeof msr_boot)
		return NULL;
	return msr_boot + at;
}

/* rss_anon reads RssAnon from /proc/self/status without allocating. */
static uint64_t rss_anon(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strstr(buf, "\nRssAnon:");
	if (p == NULL)
		return 0;
	uint64_t kb = 0;
	for (p += 9; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p >= '0' && *p <= '9'; p++)
		kb = kb * 10 + (uint64_t)(*p - '0');
	return kb * 1024;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
#include <x86intrin.h>
/* msr_tsc: stamps are TSC counts, set when the kernel itself keeps time by
 * the TSC (its clocksource is "tsc": constant and synchronised across
 * CPUs); otherwise stamps are CLOCK_MONOTONIC ns. */
static int msr_tsc;
/* stamp_before: the counter, read before what follows it is visible (a
 * free's stamp: the real free's stores retire after it). */
static inline uint64_t stamp_before(void) { return msr_tsc ? __rdtsc() : mono_ns(); }
/* stamp_after: the counter, read after the loads before it (an
 * allocation's stamp: after the real call saw the block it returns). */
static inline uint64_t stamp_after(void)
{
	unsigned aux;
	return msr_tsc ? __rdtscp(&aux) : mono_ns();
}
static void choose_clock(void)
{
	char buf[16] = {0};
	int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	msr_tsc = n >= 3 && memcmp(buf, "tsc", 3) == 0 && (n == 3 || buf[3] == '\n');
}
#else
static const int msr_tsc = 0;
static inline uint64_t stamp_before(void) { return mono_ns(); }
static inline uint64_t stamp_after(void) { return mono_ns(); }
static void choose_clock(void) {}
#endif

/* pair reads the stamp and CLOCK_MONOTONIC at (about) the same instant. */
static void pair(uint64_t *tick, uint64_t *ns)
{
	uint64_t a = stamp_after();
	*ns = mono_ns();
	uint64_t b = stamp_after();
	*tick = a + (b - a) / 2;
}

/* claim_file creates the record file, or takes it over from the image this
 * process executed from (same pid); any other process leaves it alone. */
static void claim_file(void)
{
	int fd = open(msr_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int fresh = fd >= 0;
	if (!fresh)
		fd = open(msr_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fresh && ftruncate(fd, MSR_HEADER) != 0) {
		close(fd);
		return;
	}
	struct msr_header *h = real_mmap(NULL, MSR_HEADER, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		close(fd);
		return;
	}
	if (!fresh) {
		if (__atomic_load_n(&h->pid, __ATOMIC_ACQUIRE) != (int32_t)getpid() || ftruncate(fd, MSR_HEADER) != 0) {
			real_munmap(h, MSR_HEADER);
			close(fd);
			return;
		}
		h->count = 0;
		h->lost = 0;
	}
	memcpy(h->magic, MSR_MAGIC, 8);
	choose_clock();
	h->clock = msr_tsc;
	h->init_anon = rss_anon();
	pair(&h->init_tick, &h->init_ns);
	h->cal_tick = h->init_tick;
	h->cal_ns = h->init_ns;
	__atomic_store_n(&h->pid, (int32_t)getpid(), __ATOMIC_RELEASE);
	msr_hdr = h;
	msr_fd = fd;
	__atomic_store_n(&msr_on, 1, __ATOMIC_RELEASE);
}

static void resolve(void)
{
	if (__atomic_load_n(&msr_resolved, __ATOMIC_ACQUIRE))
		return;
	msr_busy++;
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_free = dlsym(RTLD_NEXT, "free");
	real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	real_memalign = dlsym(RTLD_NEXT, "memalign");
	real_valloc = dlsym(RTLD_NEXT, "valloc");
	real_mmap = dlsym(RTLD_NEXT, "mmap");
	real_munmap = dlsym(RTLD_NEXT, "munmap");
	__atomic_store_n(&msr_resolved, 1, __ATOMIC_RELEASE);

	const char *path = getenv("MEMSTORM_RECORD_FILE");
	if (path != NULL && path[0] != '\0' && strlen(path) < sizeof msr_path) {
		strcpy(msr_path, path);
		claim_file();
	}
	msr_busy--;
}

static void child_after_fork(void) { msr_on = 0; }

/* calibrate stores a fresh (stamp, CLOCK_MONOTONIC) pair in the header,
 * unless another thread holds the lock or the last is under 1 ms old. */
static void calibrate(int force)
{
	if (msr_hdr == NULL || __atomic_exchange_n(&msr_lock, 1, __ATOMIC_ACQUIRE))
		return;
	uint64_t tick, ns;
	pair(&tick, &ns);
	if (force || ns - msr_hdr->cal_ns >= 1000000) {
		msr_hdr->cal_tick = tick;
		msr_hdr->cal_ns = ns;
	}
	__atomic_store_n(&msr_lock, 0, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void msr_init(void)
{
	resolve();
	pthread_atfork(NULL, NULL, child_after_fork);
}

__attribute__((destructor)) static void msr_fini(void)
{
	if (msr_on)
		calibrate(1);
}

static struct msr_rec *chunk(uint64_t k)
{
	struct msr_rec *c = __atomic_load_n(&msr_chunks[k], __ATOMIC_ACQUIRE);
	if (c != NULL)
		return c;
	while (__atomic_exchange_n(&msr_lock, 1, __ATOMIC_ACQUIRE))
		;
	c = msr_chunks[k];
	if (c == NULL) {
		size_t bytes = (size_t)MSR_CHUNK_RECS * sizeof(struct msr_rec);
		off_t off = MSR_HEADER + (off_t)k * (off_t)bytes;
		/* Grow the file only forwards: ftruncate to a smaller size would cut records. */
		off_t end = lseek(msr_fd, 0, SEEK_END);
		if (end >= 0 && (end >= off + (off_t)bytes || ftruncate(msr_fd, off + (off_t)bytes) == 0)) {
			void *m = real_mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, msr_fd, off);
			if (m != MAP_FAILED) {
				c = m;
				__atomic_store_n(&msr_chunks[k], c, __ATOMIC_RELEASE);
			}
		}
	}
	__atomic_store_n(&msr_lock, 0, __ATOMIC_RELEASE);
	return c;
}

static __thread struct msr_rec *msr_cur __attribute__((tls_model("initial-exec")));
static __thread struct msr_rec *msr_end __attribute__((tls_model("initial-exec")));
static __thread uint32_t msr_blk __attribute__((tls_model("initial-exec")));

/* refill claims the calling thread's next block of slots: one atomic add
 * per block. A block that would cross into the next chunk is cut at the
 * chunk's end (the slots past it stay empty). */
static void refill(void)
{
	msr_blk = msr_blk == 0 ? MSR_BLOCK_MIN : (msr_blk < MSR_BLOCK_MAX ? 2 * msr_blk : MSR_BLOCK_MAX);
	uint64_t i = __atomic_fetch_add(&msr_hdr->count, msr_blk, __ATOMIC_RELAXED);
	uint64_t k = i / MSR_CHUNK_RECS, off = i % MSR_CHUNK_RECS;
	struct msr_rec *c = k < MSR_MAX_CHUNKS ? chunk(k) : NULL;
	if (c == NULL) {
		msr_cur = msr_end = NULL;
		return;
	}
	uint64_t n = MSR_CHUNK_RECS - off < msr_blk ? MSR_CHUNK_RECS - off : msr_blk;
	msr_cur = c + off;
	msr_end = msr_cur + n;
	calibrate(0);
}

/* claim returns the calling thread's next slot, or NULL (and counts the
 * call as lost). */
static inline struct msr_rec *claim(void)
{
	if (msr_cur == msr_end) {
		refill();
		if (msr_cur == NULL) {
			__atomic_fetch_add(&msr_hdr->lost, 1, __ATOMIC_RELAXED);
			return NULL;
		}
	}
	return msr_cur++;
}

static inline void put(struct msr_rec *r, uint64_t t, uint32_t op, uint64_t a, uint64_t b, uint64_t c)
{
	if (msr_tid == 0)
		msr_tid = (uint32_t)syscall(SYS_gettid);
	r->t = t;
	r->a = a;
	r->b = b;
	r->c = c;
	r->tid = msr_tid;
	r->op = op;
}

static void log_alloc(uint32_t op, void *p, size_t size, size_t c)
{
	if (p == NULL)
		return;
	uint64_t t = stamp_after();
	struct msr_rec *r = claim();
	if (r != NULL)
		put(r, t, op, (uint64_t)(uintptr_t)p, size, c);
}

#define ENTER(fallback)                                                     \
	if (!__atomic_load_n(&msr_resolved, __ATOMIC_ACQUIRE))              \
		resolve();                                                  \
	if (msr_busy || !msr_on)                                            \
		return fallback;                                            \
	msr_busy++

#define LEAVE(v)         \
	do {             \
		msr_busy--; \
		return v; \
	} while (0)

void *malloc(size_t n)
{
	if (real_malloc == NULL) {
		if (!msr_busy)
			resolve();
		if (real_malloc == NULL)
			return boot_alloc(n);
	}
	ENTER(real_malloc(n));
	void *p = real_malloc(n);
	log_alloc(OP_MALLOC, p, n, 0);
	LEAVE(p);
}

void *calloc(size_t m, size_t n)
{
	if (real_calloc == NULL) {
		if (!msr_busy)
			resolve();
		size_t total;
		if (real_calloc == NULL)
			return __builtin_mul_overflow(m, n, &total) ? NULL : boot_alloc(total); /* static memory is zero */
	}
	ENTER(real_calloc(m, n));
	void *p = real_calloc(m, n);
	log_alloc(OP_CALLOC, p, m * n, 0);
	LEAVE(p);
}

void free(void *p)
{
	if (p == NULL || in_boot(p))
		return;
	ENTER(real_free(p));
	struct msr_rec *r = claim();
	if (r != NULL)
		put(r, stamp_before(), OP_FREE, (uint64_t)(uintptr_t)p, 0, 0);
	real_free(p);
	msr_busy--;
}

void *realloc(void *old, size_t n)
{
	if (in_boot(old)) {
		void *p = malloc(n);
		size_t left = (size_t)(msr_boot + sizeof msr_boot - (char *)old);
		if (p != NULL)
			memcpy(p, old, n < left ? n : left); /* the old block's size is unknown: at most to the buffer's end */
		return p;
	}
	ENTER(real_realloc(old, n));
	uint64_t t0 = stamp_before();
	void *p = real_realloc(old, n);
	if (old == NULL) {
		log_alloc(OP_MALLOC, p, n, 0);
	} else if (p != NULL) {
		log_alloc(OP_REALLOC, p, n, (uint64_t)(uintptr_t)old);
	} else if (n == 0) { /* glibc frees and returns NULL */
		struct msr_rec *r = claim();
		if (r != NULL)
			put(r, t0, OP_FREE, (uint64_t)(uintptr_t)old, 0, 0);
	}
	LEAVE(p);
}

void *reallocarray(void *old, size_t m, size_t n)
{
	size_t total;
	if (__builtin_mul_overflow(m, n, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, total);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	ENTER(real_posix_memalign(out, align, n));
	int rc = real_posix_memalign(out, align, n);
	if (rc == 0)
		log_alloc(OP_POSIX_MEMALIGN, *out, n, align);
	LEAVE(rc);
}

void *aligned_alloc(size_t align, size_t n)
{
	ENTER(real_aligned_alloc(align, n));
	void *p = real_aligned_alloc(align, n);
	log_alloc(OP_ALIGNED_ALLOC, p, n, align);
	LEAVE(p);
}

void *memalign(size_t align, size_t n)
{
	ENTER(real_memalign(align, n));
	void *p = real_memalign(align, n);
	log_alloc(OP_MEMALIGN, p, n, align);
	LEAVE(p);
}

void *valloc(size_t n)
{
	ENTER(real_valloc(n));
	void *p = real_valloc(n);
	log_alloc(OP_VALLOC, p, n, (size_t)sysconf(_SC_PAGESIZE));
	LEAVE(p);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	ENTER(real_mmap(addr, len, prot, flags, fd, off));
	void *p = real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && (flags & MAP_ANONYMOUS) && (flags & MAP_PRIVATE) && !(flags & MAP_FIXED))
		log_alloc(OP_MMAP, p, len, 0);
	LEAVE(p);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

int munmap(void *addr, size_t len)
{
	ENTER(real_munmap(addr, len));
	struct msr_rec *r = claim();
	if (r != NULL)
		put(r, stamp_before(), OP_MUNMAP, (uint64_t)(uintptr_t)addr, len, 0);
	int rc = real_munmap(addr, len);
	LEAVE(rc);
}

