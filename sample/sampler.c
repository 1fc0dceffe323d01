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

/* kb_field finds "Key:   1234 kB" and returns bytes, or -1. */
static int64_t kb_field(const char *buf, const char *key) {
	const char *p = strstr(buf, key);
	if (!p) return -1;
	p += strlen(key);
	while (*p == ' ' || *p == '\t') p++;
	int64_t v = 0;
	int digits = 0;
	while (*p >= '0' && *p <= '9') { v = v * 10 + (*p++ - '0'); digits++; }
	return digits ? v * 1024 : -1;
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
			int64_t v = 0;
			while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
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
	int64_t v = 0;
	for (char *p = buf; *p >= '0' && *p <= '9'; p++) v = v * 10 + (*p - '0');
	return v;
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

/* read_memstat reads the cgroup's page cache and shmem from memory.stat,
 * and on v1 with swap accounting its swap (total_swap): one reading, where
 * memsw less usage subtracts two files read at two instants, which while
 * usage grows reads as swap on a host without any (32 KiB here, writing
 * page cache at the limit). */
static void read_memstat(const ms_sampler *s, ms_raw *r) {
	char buf[8192];
	r->cg_file = r->cg_shmem = -1;
	if (s->memstat_fd < 0 || read_all(s->memstat_fd, buf, sizeof buf) < 0) return;
	r->cg_file = stat_key(buf, s->memstat_v1 ? "total_cache" : "file");
	r->cg_shmem = stat_key(buf, s->memstat_v1 ? "total_shmem" : "shmem");
	if (s->memstat_v1 && s->swap_fd >= 0) {
		int64_t sw = stat_key(buf, "total_swap");
		if (sw >= 0) r->cg_swap = sw;
	}
}

/* read_proc adds one process's figures to r; -1 when it is gone. */
static int read_proc(const ms_proc *p, ms_raw *r, int first) {
	char buf[4096];
	int64_t f[5], minflt = 0, majflt = 0;
	if (read_all(p->status_fd, buf, sizeof buf) < 0) return -1;
	f[0] = kb_field(buf, "VmRSS:");
	if (f[0] < 0) return -1; /* a zombie's status has no VmRSS */
	f[1] = kb_field(buf, "RssAnon:");
	f[2] = kb_field(buf, "RssFile:");
	f[3] = kb_field(buf, "RssShmem:");
	f[4] = kb_field(buf, "VmSwap:");
	if (read_all(p->stat_fd, buf, sizeof buf) < 0) return -1;
	if (stat_fields(buf, &minflt, &majflt) < 0) return -1;
	r->rss += f[0];
	r->anon += f[1];
	r->file += f[2];
	r->shmem += f[3];
	r->swap += f[4];
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

int ms_sample_once(ms_sampler *s, ms_raw *r) {
	memset(r, 0, sizeof *r);
	r->t_ns = mono_ns() - s->start_ns;
	for (int i = 0; i < s->nproc; i++)
		if (read_proc(&s->procs[i], r, r->alive == 0) == 0) r->alive |= 1u << i;
	if (!r->alive) return -1;
	r->usage = read_usage(s->usage_fd);
	r->cg_swap = read_usage(s->swap_fd);
	if (s->swap_memsw && r->cg_swap >= 0) r->cg_swap = r->usage < 0 ? -1 : r->cg_swap > r->usage ? r->cg_swap - r->usage : 0;
	read_memstat(s, r);
	return 0;
}

static void *loop(void *arg) {
	ms_sampler *s = arg;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		next.tv_nsec += s->interval_ns;
		while (next.tv_nsec >= 1000000000) { next.tv_nsec -= 1000000000; next.tv_sec++; }
		/* sleep in steps of at most 50 ms, so that stop is prompt even at a
		 * long interval */
		for (;;) {
			struct timespec step;
			clock_gettime(CLOCK_MONOTONIC, &step);
			step.tv_nsec += 50000000;
			while (step.tv_nsec >= 1000000000) { step.tv_nsec -= 1000000000; step.tv_sec++; }
			int last = step.tv_sec > next.tv_sec || (step.tv_sec == next.tv_sec && step.tv_nsec >= next.tv_nsec);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, last ? &next : &step, NULL) == EINTR) {}
			if (last || __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) break;
		}
		if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) break;
		/* fell behind (the host was busy): skip, never burst */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((int64_t)(now.tv_sec - next.tv_sec) * 1000000000 + (now.tv_nsec - next.tv_nsec) > s->interval_ns) next = now;
		uint64_t head = s->head, tail = __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE);
		if (head - tail >= MS_RING) { s->dropped++; continue; }
		ms_raw *r = &s->ring[head % MS_RING];
		pthread_mutex_lock(&s->lock);
		if (ms_sample_once(s, r) == 0)
			__atomic_store_n(&s->head, head + 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

/* ms_sample_forced takes a sample now, on the calling thread, after any
 * record the thread is taking has been pushed. */
int ms_sample_forced(ms_sampler *s, ms_raw *r) {
	pthread_mutex_lock(&s->lock);
	int rc = ms_sample_once(s, r);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int ms_sampler_start(ms_sampler *s) {
	s->head = s->tail = s->dropped = 0;
	s->stop = 0;
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
