#include "sampler.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* read_all preads a whole small file into buf, NUL-terminated. */
static int read_all(int fd, char *buf, int size) {
	ssize_t n = pread(fd, buf, size - 1, 0);
	if (n <= 0) return -1;
	buf[n] = 0;
	return (int)n;
}

/* number parses a decimal at *p, moving *p past it; -1 without digits. */
static int64_t number(const char **p) {
	const char *q = *p;
	while (*q == ' ' || *q == '\t') q++;
	int64_t v = 0;
	int digits = 0;
	while (*q >= '0' && *q <= '9') { v = v * 10 + (*q++ - '0'); digits++; }
	*p = q;
	return digits ? v : -1;
}

/* kb_field finds "Key:   1234 kB" and returns bytes, or -1. */
static int64_t kb_field(const char *buf, const char *key) {
	const char *p = strstr(buf, key);
	if (!p) return -1;
	p += strlen(key);
	int64_t v = number(&p);
	return v < 0 ? -1 : v * 1024;
}

/* stat_fields reads minflt and majflt (fields 10 and 12) after the ')'
 * that ends the command, which may itself hold spaces and parentheses. */
static int stat_fields(const char *buf, int64_t *minflt, int64_t *majflt) {
	const char *p = strrchr(buf, ')');
	if (!p) return -1;
	p++;
	/* after ')' come fields 3 (state), 4, ...: minflt is the 8th, majflt the 10th */
	for (int field = 3; field <= 12; field++) {
		while (*p == ' ') p++;
		if (!*p) return -1;
		if (field == 10 || field == 12) {
			int64_t v = number(&p);
			if (v < 0) return -1;
			if (field == 10) *minflt = v; else *majflt = v;
		}
		while (*p && *p != ' ') p++;
	}
	return 0;
}

static int64_t read_usage(int fd) {
	char buf[32];
	if (fd < 0) return -1;
	if (read_all(fd, buf, sizeof buf) < 0) return -1;
	const char *p = buf;
	return number(&p);
}

/* read_slow reads a process's stat and status: its fault counts into
 * *minflt and *majflt, and its shmem and swap into p. -1 when it is gone. */
static int read_slow(ms_proc *p, int64_t *minflt, int64_t *majflt) {
	char buf[4096];
	if (read_all(p->stat_fd, buf, sizeof buf) < 0) return -1;
	if (stat_fields(buf, minflt, majflt) < 0) return -1;
	if (read_all(p->status_fd, buf, sizeof buf) < 0) return -1;
	int64_t shmem = kb_field(buf, "RssShmem:"), swap = kb_field(buf, "VmSwap:");
	if (shmem < 0) return -1; /* a zombie's status has no memory lines */
	p->shmem = shmem;
	p->swap = swap < 0 ? 0 : swap;
	int64_t lck = kb_field(buf, "VmLck:"), huge = kb_field(buf, "HugetlbPages:");
	p->locked = lck < 0 ? 0 : lck;
	p->hugetlb = huge < 0 ? 0 : huge;
	return 0;
}

/* stat_key finds the line "key N" of a memory.stat text; -1 without it. */
static int64_t stat_key(const char *buf, const char *key) {
	size_t n = strlen(key);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, key, n) != 0 || p[n] != ' ') continue;
		int64_t v = 0;
		for (p += n + 1; *p >= '0' && *p <= '9'; p++) v = v * 10 + (*p - '0');
		return v;
	}
	return -1;
}

/* read_memstat reads the cgroup's page cache, shmem and anon in
 * transparent huge pages (the AnonHugePages of its processes, without
 * walking their page tables as smaps_rollup does) from memory.stat,
 * and on v1 with swap accounting its swap (total_swap): one reading, where
 * memsw less usage subtracts two files read at two instants, which while
 * usage grows reads as swap on a host without any (32 KiB here, writing
 * page cache at the limit). */
static void read_memstat(ms_sampler *s) {
	char buf[8192];
	s->cg_file_last = s->cg_shmem_last = s->cg_swap_stat_last = s->cg_anon_thp_last = -1;
	if (s->memstat_fd < 0 || read_all(s->memstat_fd, buf, sizeof buf) < 0) return;
	s->cg_file_last = stat_key(buf, s->memstat_v1 ? "total_cache" : "file");
	s->cg_shmem_last = stat_key(buf, s->memstat_v1 ? "total_shmem" : "shmem");
	s->cg_anon_thp_last = stat_key(buf, s->memstat_v1 ? "total_rss_huge" : "anon_thp");
	if (s->memstat_v1 && s->swap_fd >= 0) s->cg_swap_stat_last = stat_key(buf, "total_swap");
}

/* read_proc adds one process's figures to r; -1 when it is gone. */
static int read_proc(ms_sampler *s, ms_proc *p, ms_raw *r, int first, int slow) {
	char buf[256];
	if (read_all(p->statm_fd, buf, sizeof buf) < 0) return -1;
	/* statm: size resident shared text lib data dt, in pages */
	const char *q = buf;
	int64_t size = number(&q), resident = number(&q), shared = number(&q);
	if (size <= 0 || resident < 0 || shared < 0) return -1; /* a zombie's statm is all zeros */
	int64_t minflt = 0, majflt = 0;
	if (slow && read_slow(p, &minflt, &majflt) < 0) return -1;
	int64_t rss = resident * s->page_size, sh = shared * s->page_size;
	r->rss += rss;
	r->anon += rss - sh;
	r->file += sh > p->shmem ? sh - p->shmem : 0;
	r->shmem += sh > p->shmem ? p->shmem : sh;
	r->swap += p->swap;
	r->locked += p->locked;
	r->hugetlb += p->hugetlb;
	r->minflt += minflt;
	r->majflt += majflt;
	for (int w = 0; w < MS_WORDS; w++) {
		int64_t v = __atomic_load_n(&p->page[w], __ATOMIC_RELAXED);
		if (first) r->header[w] = v;
		r->hsums[w] += v;
	}
	for (int b = 0; b < p->blocks; b++)
		for (int w = 0; w < MS_WORDS; w++)
			r->sums[w] += __atomic_load_n(&p->page[MS_WORDS * (1 + b) + w], __ATOMIC_RELAXED);
	return 0;
}

int ms_sample_once(ms_sampler *s, ms_raw *r, int slow) {
	memset(r, 0, sizeof *r);
	int64_t now = mono_ns();
	r->t_ns = now - s->start_ns;
	for (int i = 0; i < s->nproc; i++)
		if (read_proc(s, &s->procs[i], r, r->alive == 0, slow) == 0) r->alive |= 1u << i;
	if (!r->alive) return -1;
	if (slow) {
		r->flags |= MS_SLOW;
		s->last_slow_ns = now;
	} else {
		r->minflt = r->majflt = -1;
	}
	r->usage = read_usage(s->usage_fd);
	r->cg_swap = read_usage(s->swap_fd);
	if (s->swap_memsw && r->cg_swap >= 0) r->cg_swap = r->usage < 0 ? -1 : r->cg_swap > r->usage ? r->cg_swap - r->usage : 0;
	/* memory.stat is long (8 µs a read against 1 µs for the usage file):
	 * read at most every MS_MEMSTAT_NS (every tick at 100 Hz), every
	 * MS_MEMSTAT_FAST_NS near the limit (a 32 MiB tmpfs fill to its OOM
	 * kill takes 40 ms), and with stat and status; carried between. */
	if (slow || now - s->last_memstat_ns >= (s->fast ? MS_MEMSTAT_FAST_NS : MS_MEMSTAT_NS)) {
		read_memstat(s);
		s->last_memstat_ns = now;
	}
	r->cg_file = s->cg_file_last;
	r->cg_shmem = s->cg_shmem_last;
	r->cg_anon_thp = s->cg_anon_thp_last;
	if (s->cg_swap_stat_last >= 0) r->cg_swap = s->cg_swap_stat_last;
	return 0;
}

int64_t ms_fast_interval(int64_t limit, int64_t usage, int64_t grown, int64_t dt_ns) {
	if (limit <= 0 || usage < 0 || grown <= 0 || dt_ns <= 0) return 0;
	if (usage >= limit) return MS_BURST_NS;
	/* the time to the limit at the growth seen, in double: no overflow */
	double left_ns = (double)(limit - usage) * (double)dt_ns / (double)grown;
	if (left_ns >= (double)MS_HORIZON_NS) return 0;
	double iv = left_ns / MS_TARGET;
	if (iv < MS_BURST_NS) return MS_BURST_NS;
	if (iv > MS_FAST_NS) return MS_FAST_NS;
	return (int64_t)iv;
}

/* adapt sets the interval after a record at now_ns (monotonic) with the
 * cgroup's usage. */
static void adapt(ms_sampler *s, int64_t now_ns, int64_t usage) {
	if (s->limit <= 0 || usage < 0 || s->interval_ns <= MS_FAST_NS) return;
	if (s->anchor_ns == 0) {
		s->anchor_ns = now_ns, s->anchor_usage = usage;
		s->calm_since = now_ns;
		return;
	}
	int64_t dt = now_ns - s->anchor_ns;
	if (dt < MS_WINDOW_NS) return;
	int64_t iv = ms_fast_interval(s->limit, usage, usage - s->anchor_usage, dt);
	s->anchor_ns = now_ns, s->anchor_usage = usage;
	if (iv > 0) {
		if (!s->fast) s->fast_switches++;
		s->fast = 1, s->fast_ns = iv, s->calm_since = 0;
	} else if (s->fast) {
		if (s->calm_since == 0)
			s->calm_since = now_ns;
		else if (now_ns - s->calm_since >= MS_CALM_NS)
			s->fast = 0, s->calm_since = 0;
	}
}

static void add_ns(struct timespec *t, int64_t ns) {
	t->tv_sec += ns / 1000000000;
	t->tv_nsec += ns % 1000000000;
	while (t->tv_nsec >= 1000000000) { t->tv_nsec -= 1000000000; t->tv_sec++; }
}

static void *loop(void *arg) {
	ms_sampler *s = arg;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		int64_t interval = s->fast ? s->fast_ns : s->interval_ns;
		add_ns(&next, interval);
		/* sleep in steps of at most 50 ms, so that stop is prompt even at a
		 * long interval */
		for (;;) {
			struct timespec step;
			clock_gettime(CLOCK_MONOTONIC, &step);
			add_ns(&step, 50000000);
			int last = step.tv_sec > next.tv_sec || (step.tv_sec == next.tv_sec && step.tv_nsec >= next.tv_nsec);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, last ? &next : &step, NULL) == EINTR) {}
			if (last || __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) break;
		}
		if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) break;
		/* fell behind (the host was busy): skip, never burst */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((int64_t)(now.tv_sec - next.tv_sec) * 1000000000 + (now.tv_nsec - next.tv_nsec) > interval) next = now;
		uint64_t head = s->head, tail = __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE);
		if (head - tail >= MS_RING) { s->dropped++; continue; }
		ms_raw *r = &s->ring[head % MS_RING];
		pthread_mutex_lock(&s->lock);
		int64_t t = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		if (ms_sample_once(s, r, t - s->last_slow_ns >= MS_SLOW_NS) == 0) {
			if (s->fast) r->flags |= MS_FAST;
			adapt(s, r->t_ns + s->start_ns, r->usage);
			__atomic_store_n(&s->head, head + 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

/* ms_sample_forced takes a sample now, on the calling thread, after any
 * record the thread is taking has been pushed. */
int ms_sample_forced(ms_sampler *s, ms_raw *r) {
	pthread_mutex_lock(&s->lock);
	int rc = ms_sample_once(s, r, 1);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int ms_sampler_start(ms_sampler *s) {
	s->head = s->tail = s->dropped = s->fast_switches = 0;
	s->stop = 0;
	s->anchor_ns = s->calm_since = s->last_slow_ns = s->last_memstat_ns = 0;
	/* a limited run starts fast: its growth is not known yet */
	s->fast = s->limit > 0 && s->usage_fd >= 0 && s->interval_ns > MS_FAST_NS;
	s->fast_ns = MS_FAST_NS;
	s->page_size = sysconf(_SC_PAGESIZE);
	pthread_mutex_init(&s->lock, NULL);
	return pthread_create(&s->thread, NULL, loop, s);
}

void ms_sampler_stop(ms_sampler *s) {
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
}

int ms_sampler_drain(ms_sampler *s, ms_raw *dst, int max) {
	uint64_t head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE), tail = s->tail;
	int n = 0;
	while (tail < head && n < max) dst[n++] = s->ring[tail++ % MS_RING];
	__atomic_store_n(&s->tail, tail, __ATOMIC_RELEASE);
	return n;
}
