/*
 * cref: memstorm's plain-C reference program. It runs the same op streams as
 * memstorm's engine, compiled from the engine's own C source (alloc/ops*.c),
 * with no Go and no cgo, and prints the nanoseconds its measured loop took.
 *
 *   cref churn SEED LIVE OPS MIN MAX   ms_churn over LIVE slots, sizes MIN..MAX
 *   cref fill SEED BYTES MIN MAX       malloc MIN..MAX sizes, touch every page,
 *                                      until BYTES requested bytes
 *   cref populate BYTES                one mmap(MAP_POPULATE) of BYTES
 *   cref hold SEED BYTES SIZE          fill BYTES in SIZE chunks, print "ready",
 *                                      then wait for EOF on stdin
 *   cref twin [-heap] SEED STEP...     a scenario's op sequence, RssAnon after
 *                                      each step (twin.c)
 *   cref replay OPFILE SPEED TOUCH     a trace's ops on one thread, RssAnon at
 *                                      its sync points (replay.c)
 *   cref procread | ticks | mmapfill   the machine's own bounds (probe.c)
 *
 * With CREF_CPU=N in the environment it first pins itself to CPU N (memstorm
 * bench runs both sides of a comparison on the same CPU).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "ops.h"

int twin_main(int argc, char **argv);
int replay_main(int argc, char **argv);
int probe_main(int argc, char **argv);

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int64_t arg(char **argv, int i)
{
	char *end;
	long long v = strtoll(argv[i], &end, 10);
	if (*end || v < 0) {
		fprintf(stderr, "cref: argument %d: %s is not a non-negative integer\n", i, argv[i]);
		exit(2);
	}
	return v;
}

/* What a C programmer would write: malloc, write one byte per page and the
 * last byte, keep the pointer. Returns the loop's nanoseconds. */
static int64_t fill(uint64_t seed, int64_t bytes, const ms_dist *d)
{
	uint64_t rng[4];
	ms_rng_seed(rng, seed);
	int64_t cap = bytes / (d->min > 0 ? d->min : 1) + 1;
	void **keep = mmap(NULL, (size_t)cap * sizeof(void *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (keep == MAP_FAILED) {
		perror("cref: mapping the pointer array");
		exit(1);
	}
	int64_t t0 = now_ns(), done = 0, n = 0;
	while (done < bytes && n < cap) {
		int64_t size = ms_sample(rng, d);
		volatile char *p = malloc((size_t)size);
		if (!p) {
			fprintf(stderr, "cref: malloc(%lld) failed after %lld bytes\n", (long long)size, (long long)done);
			exit(1);
		}
		for (int64_t o = 0; o < size; o += 4096)
			p[o] = 0x5a;
		p[size - 1] = 0x5a;
		keep[n++] = (void *)p;
		done += size;
	}
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	const char *cpu = getenv("CREF_CPU");
	if (cpu && *cpu) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(atoi(cpu), &set);
		if (sched_setaffinity(0, sizeof set, &set) != 0) {
			perror("cref: pinning to CREF_CPU");
			return 1;
		}
	}
	if (!strcmp(mode, "churn") && argc == 7) {
		uint64_t rng[4];
		ms_rng_seed(rng, (uint64_t)arg(argv, 2));
		ms_dist d = {.kind = MS_DIST_UNIFORM, .min = arg(argv, 5), .max = arg(argv, 6)};
		int64_t t0 = now_ns();
		int64_t failed = ms_churn(rng, &d, arg(argv, 3), arg(argv, 4));
		int64_t ns = now_ns() - t0;
		if (failed != 0) {
			fprintf(stderr, "cref: churn: %lld failed mallocs\n", (long long)failed);
			return 1;
		}
		printf("%lld\n", (long long)ns);
		return 0;
	}
	if (!strcmp(mode, "fill") && argc == 6) {
		ms_dist d = {.kind = MS_DIST_UNIFORM, .min = arg(argv, 4), .max = arg(argv, 5)};
		printf("%lld\n", (long long)fill((uint64_t)arg(argv, 2), arg(argv, 3), &d));
		return 0;
	}
	if (!strcmp(mode, "populate") && argc == 3) {
		size_t n = (size_t)arg(argv, 2);
		int64_t t0 = now_ns();
		void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		int64_t ns = now_ns() - t0;
		if (p == MAP_FAILED) {
			perror("cref: mmap MAP_POPULATE");
			return 1;
		}
		printf("%lld\n", (long long)ns);
		return 0;
	}
	if (!strcmp(mode, "hold") && argc == 5) {
		ms_dist d = {.kind = MS_DIST_FIXED, .value = arg(argv, 4), .min = arg(argv, 4)};
		fill((uint64_t)arg(argv, 2), arg(argv, 3), &d);
		printf("ready\n");
		fflush(stdout);
		char buf[64];
		while (read(0, buf, sizeof buf) > 0)
			;
		return 0;
	}
	if (!strcmp(mode, "twin"))
		return twin_main(argc, argv);
	if (!strcmp(mode, "replay"))
		return replay_main(argc, argv);
	if (argc > 1) {
		int rc = probe_main(argc, argv);
		if (rc >= 0)
			return rc;
	}
	fprintf(stderr, "usage: cref churn SEED LIVE OPS MIN MAX | fill SEED BYTES MIN MAX | populate BYTES | hold SEED BYTES SIZE"
			" | twin [-heap] SEED STEP... | replay OPFILE SPEED TOUCH | procread GAP_US N FILE... | ticks HZ MS FILE... | mmapfill BYTES CHUNK MODE\n");
	return 2;
}
