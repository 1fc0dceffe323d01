/*
 * replay.c: cref's "replay" mode, a plain C program replaying a trace on one
 * thread, written independently of the engine's replay (ops_replay.c): what
 * a C programmer would write to make the recorded calls again. memstorm's
 * replay of the same trace is checked against it.
 *
 *   cref replay OPFILE SPEED TOUCH
 *
 * OPFILE is what alloc.Replay.WriteOps wrote (the trace decoded into
 * replay.h's ms_rop, in recorded order). SPEED 0 replays as fast as it
 * goes, N at N times the recorded pace; TOUCH 1 writes a byte in every page
 * of each new object. At every sync op (the recorded RSS samples and the
 * recorded peak) it reads RssAnon and notes the live requested bytes. The
 * measured path makes the recorded calls only: the ops are a read-only
 * mapping of the file, the object table and the readings anonymous
 * mappings, and the output is written with write(2) at the end, one line
 * per sync point: "sync K RSSANON LIVE", then "peak LIVE".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "replay.h"

static int64_t rep_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int64_t rep_rss_anon(void)
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

static void *rep_anon(size_t n)
{
	void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		perror("cref replay: mapping a table");
		exit(3);
	}
	return p;
}

typedef struct {
	void *p;
	uint64_t size;
	int mapped;
} rep_obj;

int replay_main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: cref replay OPFILE SPEED TOUCH\n");
		return 2;
	}
	double speed = atof(argv[3]);
	int touch = atoi(argv[4]);
	int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 32) {
		fprintf(stderr, "cref replay: %s: not an op file\n", argv[2]);
		return 2;
	}
	const char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || memcmp(m, "MSROPS01", 8) != 0) {
		fprintf(stderr, "cref replay: %s: not an op file\n", argv[2]);
		return 2;
	}
	uint64_t nops, nobjs, nsync;
	memcpy(&nops, m + 8, 8);
	memcpy(&nobjs, m + 16, 8);
	memcpy(&nsync, m + 24, 8);
	if (nops > ((uint64_t)st.st_size - 32) / sizeof(ms_rop)) {
		fprintf(stderr, "cref replay: %s: truncated (%llu ops)\n", argv[2], (unsigned long long)nops);
		return 2;
	}
	const ms_rop *ops = (const ms_rop *)(m + 32);
	rep_obj *objs = rep_anon(nobjs * sizeof(rep_obj));
	int64_t *rss = rep_anon(nsync * 8), *live_at = rep_anon(nsync * 8);
	long page = sysconf(_SC_PAGESIZE);
	int64_t live = 0, peak = 0, start = rep_now();
	for (uint64_t i = 0; i < nops; i++) {
		const ms_rop *op = &ops[i];
		if (speed > 0) {
			int64_t due = start + (int64_t)((double)op->t / speed);
			if (due - rep_now() > 20000) {
				struct timespec ts = {due / 1000000000L, due % 1000000000L};
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		}
		if (op->op == MS_ROP_SYNC) {
			if (op->id < nsync) {
				rss[op->id] = op->size == MS_SYNC_RSS ? rep_rss_anon() : -1;
				live_at[op->id] = live;
			}
			continue;
		}
		if (op->id >= nobjs || op->old >= nobjs)
			continue;
		rep_obj *o = &objs[op->id];
		size_t size = (size_t)op->size, align = (size_t)1 << op->align_log2;
		void *p = NULL;
		uint64_t from = 0;
		switch (op->op) {
		case MS_ROP_FREE:
		case MS_ROP_MUNMAP:
			if (o->mapped)
				munmap(o->p, o->size);
			else
				free(o->p);
			if (o->p)
				live -= (int64_t)o->size;
			o->p = NULL;
			continue;
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
			rep_obj *old = &objs[op->old];
			if (old->p == NULL) {
				p = malloc(size);
				break;
			}
			p = realloc(old->p, size);
			if (p == NULL)
				free(old->p);
			else
				from = old->size < size ? old->size : size;
			live -= (int64_t)old->size;
			old->p = NULL;
			break;
		}
		default:
			continue;
		}
		o->p = p;
		o->size = p ? size : 0;
		o->mapped = op->op == MS_ROP_MMAP;
		if (p == NULL)
			continue;
		live += (int64_t)size;
		if (live > peak)
			peak = live;
		if (touch)
			for (uint64_t b = from; b < size; b += (uint64_t)page - (((uintptr_t)p + b) & ((uint64_t)page - 1)))
				((volatile char *)p)[b] = 1;
	}
	char line[96];
	for (uint64_t k = 0; k < nsync; k++) {
		int n = snprintf(line, sizeof line, "sync %llu %lld %lld\n", (unsigned long long)k, (long long)rss[k], (long long)live_at[k]);
		if (write(1, line, (size_t)n) != n)
			return 3;
	}
	int n = snprintf(line, sizeof line, "peak %lld\n", (long long)peak);
	return write(1, line, (size_t)n) == n ? 0 : 3;
}
