/*
 * probe.c: cref's measurements of the machine itself, the bounds memstorm's
 * figures are held against (docs/PERFORMANCE.md). No allocation in the
 * measured loops; results go out with printf after them.
 *
 *   cref procread GAP_US N FILE...  pread each FILE N times, GAP_US apart
 *                                   (cache-cold, as a sampler reads), and
 *                                   print FILE<TAB>mean ns per read
 *   cref ticks HZ MS FILE...        wake HZ times a second for MS ms with
 *                                   clock_nanosleep, pread every FILE at each
 *                                   wake-up; print "CPU_NS WALL_NS" of this
 *                                   process (the floor of a sampler)
 *   cref mmapfill BYTES CHUNK MODE  map BYTES in CHUNK-byte anonymous
 *                                   mappings, each made resident by MODE:
 *                                   touch (one write per 4 KiB page),
 *                                   populate (MAP_POPULATE),
 *                                   populate-write (MADV_POPULATE_WRITE),
 *                                   thp-touch (MADV_HUGEPAGE, then touch),
 *                                   thp-populate-write (MADV_HUGEPAGE, then
 *                                   MADV_POPULATE_WRITE);
 *                                   print the ns it took
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define MAX_FILES 16

static int64_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int64_t num(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end || v <= 0) {
		fprintf(stderr, "cref: %s is not a positive integer\n", s);
		exit(2);
	}
	return v;
}

static int open_all(int n, char **names, int *fds)
{
	if (n < 1 || n > MAX_FILES) {
		fprintf(stderr, "cref: want 1 to %d files\n", MAX_FILES);
		exit(2);
	}
	for (int i = 0; i < n; i++)
		if ((fds[i] = open(names[i], O_RDONLY)) < 0) {
			perror(names[i]);
			exit(1);
		}
	return n;
}

static int procread(int argc, char **argv)
{
	int64_t gap = num(argv[2]) * 1000, n = num(argv[3]);
	int fds[MAX_FILES], nf = open_all(argc - 4, argv + 4, fds);
	int64_t total[MAX_FILES] = {0};
	char buf[8192];
	for (int64_t k = 0; k < n; k++)
		for (int i = 0; i < nf; i++) {
			struct timespec d = {gap / 1000000000, gap % 1000000000};
			nanosleep(&d, NULL);
			int64_t t0 = mono();
			if (pread(fds[i], buf, sizeof buf, 0) <= 0) {
				perror(argv[4 + i]);
				return 1;
			}
			total[i] += mono() - t0;
		}
	for (int i = 0; i < nf; i++)
		printf("%s\t%lld\n", argv[4 + i], (long long)(total[i] / n));
	return 0;
}

static int64_t cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000L +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000L;
}

static int ticks(int argc, char **argv)
{
	int64_t hz = num(argv[2]), ms = num(argv[3]);
	int fds[MAX_FILES], nf = argc > 4 ? open_all(argc - 4, argv + 4, fds) : 0;
	char buf[8192];
	int64_t every = 1000000000L / hz, n = ms * 1000000L / every;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	int64_t c0 = cpu_ns(), w0 = mono();
	for (int64_t k = 0; k < n; k++) {
		next.tv_nsec += every;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		for (int i = 0; i < nf; i++)
			if (pread(fds[i], buf, sizeof buf, 0) <= 0) {
				perror(argv[4 + i]);
				return 1;
			}
	}
	printf("%lld %lld\n", (long long)(cpu_ns() - c0), (long long)(mono() - w0));
	return 0;
}

static int mmapfill(char **argv)
{
	int64_t bytes = num(argv[2]), chunk = num(argv[3]);
	const char *mode = argv[4];
	int m = !strcmp(mode, "touch") ? 0 : !strcmp(mode, "populate") ? 1 : !strcmp(mode, "populate-write") ? 2 : !strcmp(mode, "thp-touch") ? 3 : !strcmp(mode, "thp-populate-write") ? 4 : -1;
	if (m < 0) {
		fprintf(stderr, "cref: mmapfill mode %s: want touch, populate, populate-write, thp-touch or thp-populate-write\n", mode);
		return 2;
	}
	int64_t t0 = mono();
	for (int64_t done = 0; done < bytes; done += chunk) {
		char *p = mmap(NULL, (size_t)chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | (m == 1 ? MAP_POPULATE : 0), -1, 0);
		if (p == MAP_FAILED) {
			perror("cref: mmap");
			return 1;
		}
		if (m >= 3)
			madvise(p, (size_t)chunk, MADV_HUGEPAGE);
		if ((m == 2 || m == 4) && madvise(p, (size_t)chunk, MADV_POPULATE_WRITE) != 0) {
			perror("cref: madvise(MADV_POPULATE_WRITE)");
			return 1;
		}
		if (m == 0 || m == 3)
			for (int64_t o = 0; o < chunk; o += 4096)
				((volatile char *)p)[o] = 0x5a;
	}
	printf("%lld\n", (long long)(mono() - t0));
	return 0;
}

int probe_main(int argc, char **argv)
{
	const char *mode = argv[1];
	if (!strcmp(mode, "procread") && argc >= 5)
		return procread(argc, argv);
	if (!strcmp(mode, "ticks") && argc >= 4)
		return ticks(argc, argv);
	if (!strcmp(mode, "mmapfill") && argc == 5)
		return mmapfill(argv);
	return -1;
}
