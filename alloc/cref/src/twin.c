/*
 * twin.c: cref's "twin" mode, the plain-C twin of a memstorm scenario. It runs
 * an op sequence through the engine's own C code (ms_fill, ms_free: same
 * seeded sizes, same order, same selection code as the worker's thread 0)
 * and the same trim (ms_trim), and records RssAnon after every step.
 *
 *   cref twin [-heap] SEED STEP...
 *
 *   fill:BYTES:DIST[:notouch]   malloc sizes from DIST until BYTES requested
 *                               bytes, touching every page unless notouch;
 *                               DIST is fixed:V, uniform:MIN:MAX,
 *                               lognormal:MEDIAN:SIGMA:MIN:MAX or
 *                               pareto:MIN:ALPHA:MAX
 *   free:PATTERN[:last=N]       PATTERN is all, every:N, keep-one-per-page,
 *                               random:FRACTION:SEED, oldest:FRACTION,
 *                               newest:FRACTION, larger:SIZE, smaller:SIZE
 *   trim                        what alloc.TrimSteps does
 *   hold:MS                     sleep MS milliseconds
 *   pin:SIZE                    malloc(SIZE), kept to the end (not the engine's)
 *   poke:SIZE                   malloc(SIZE) and free it at once
 *
 * The measured path never allocates besides the steps' own calls: steps are
 * parsed first into a static array, RssAnon is read with open/read into a
 * stack buffer, results go to a static array and are written with write(2)
 * at the end. -heap also records the allocator's heap held (ms_heap_stats,
 * which does not allocate either). Output, tab-separated, one line for the
 * start and one per step: STEP, RssAnon bytes, heap held bytes (-1 without
 * -heap or when not told), detail. The first line's detail names the
 * allocator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "introspect.h"
#include "ops.h"

#define MAX_STEPS 256

enum { T_FILL, T_FREE, T_TRIM, T_HOLD, T_PIN, T_POKE };

typedef struct {
	int kind;
	const char *text;
	ms_fill_spec fill;
	ms_selection sel;
	int64_t n; /* hold: ms; pin, poke: size */
} step;

typedef struct {
	int64_t anon, held;
	char detail[768];
} result;

static step steps[MAX_STEPS];
static result results[MAX_STEPS + 1];
static char out[(MAX_STEPS + 1) * 512];
static void *volatile pins[MAX_STEPS]; /* volatile: the compiler may not drop a malloc whose pointer is unused */

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "cref twin: %s: %s\n", what, arg);
	return 2;
}

/* Splits s at ':' into at most max fields; returns the count. */
static int split(char *s, char **f, int max)
{
	int n = 0;
	for (char *save = NULL, *t = strtok_r(s, ":", &save); t && n < max; t = strtok_r(NULL, ":", &save))
		f[n++] = t;
	return n;
}

static int num(const char *s, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	*v = x;
	return *s && !*end && !errno && x >= 0;
}

static int real(const char *s, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return *s && !*end;
}

static int parse_dist(char **f, int n, ms_dist *d)
{
	memset(d, 0, sizeof *d);
	if (n == 2 && !strcmp(f[0], "fixed")) {
		d->kind = MS_DIST_FIXED;
		return num(f[1], &d->value) && d->value > 0;
	}
	if (n == 3 && !strcmp(f[0], "uniform")) {
		d->kind = MS_DIST_UNIFORM;
		return num(f[1], &d->min) && num(f[2], &d->max) && d->min > 0 && d->min <= d->max;
	}
	if (n == 5 && !strcmp(f[0], "lognormal")) {
		d->kind = MS_DIST_LOGNORMAL;
		return num(f[1], &d->median) && real(f[2], &d->sigma) && num(f[3], &d->min) && num(f[4], &d->max) &&
		       d->median > 0 && d->sigma >= 0 && d->min <= d->max && d->max > 0;
	}
	if (n == 4 && !strcmp(f[0], "pareto")) {
		d->kind = MS_DIST_PARETO;
		return num(f[1], &d->min) && real(f[2], &d->alpha) && num(f[3], &d->max) && d->min > 0 && d->alpha > 0 &&
		       d->min <= d->max;
	}
	return 0;
}

static int parse_free(char **f, int n, ms_selection *sel)
{
	memset(sel, 0, sizeof *sel);
	if (n > 1 && !strncmp(f[n - 1], "last=", 5)) {
		if (!num(f[n - 1] + 5, &sel->last) || sel->last < 1)
			return 0;
		n--;
	}
	int64_t seed;
	if (n == 1 && !strcmp(f[0], "all"))
		sel->pattern = MS_SEL_ALL;
	else if (n == 2 && !strcmp(f[0], "every"))
		return (sel->pattern = MS_SEL_EVERY_NTH, num(f[1], &sel->n) && sel->n >= 1);
	else if (n == 1 && !strcmp(f[0], "keep-one-per-page"))
		sel->pattern = MS_SEL_KEEP_ONE_PER_PAGE;
	else if (n == 3 && !strcmp(f[0], "random")) {
		sel->pattern = MS_SEL_RANDOM;
		if (!num(f[2], &seed))
			return 0;
		sel->seed = (uint64_t)seed;
		return real(f[1], &sel->fraction) && sel->fraction >= 0 && sel->fraction <= 1;
	} else if (n == 2 && (!strcmp(f[0], "oldest") || !strcmp(f[0], "newest"))) {
		sel->pattern = f[0][0] == 'o' ? MS_SEL_OLDEST : MS_SEL_NEWEST;
		return real(f[1], &sel->fraction) && sel->fraction >= 0 && sel->fraction <= 1;
	} else if (n == 2 && (!strcmp(f[0], "larger") || !strcmp(f[0], "smaller"))) {
		sel->pattern = f[0][0] == 'l' ? MS_SEL_LARGER : MS_SEL_SMALLER;
		return num(f[1], &sel->size);
	} else
		return 0;
	return 1;
}

static int parse(char *arg, step *s)
{
	static char copy[4096];
	char *f[16];
	snprintf(copy, sizeof copy, "%s", arg); /* strtok_r writes into it */
	int n = split(copy, f, 16);
	memset(s, 0, sizeof *s);
	s->text = arg;
	if (n >= 3 && !strcmp(f[0], "fill")) {
		s->kind = T_FILL;
		s->fill.via = MS_VIA_MALLOC;
		s->fill.touch = 1;
		s->fill.budget_ns = INT64_MAX / 2;
		if (!strcmp(f[n - 1], "notouch")) {
			s->fill.touch = 0;
			n--;
		}
		return num(f[1], &s->fill.max_bytes) && s->fill.max_bytes > 0 && parse_dist(f + 2, n - 2, &s->fill.dist);
	}
	if (n >= 2 && !strcmp(f[0], "free"))
		return (s->kind = T_FREE, parse_free(f + 1, n - 1, &s->sel));
	if (n == 1 && !strcmp(f[0], "trim"))
		return (s->kind = T_TRIM, 1);
	if (n == 2 && !strcmp(f[0], "hold"))
		return (s->kind = T_HOLD, num(f[1], &s->n));
	if (n == 2 && (!strcmp(f[0], "pin") || !strcmp(f[0], "poke")))
		return (s->kind = f[0][1] == 'i' ? T_PIN : T_POKE, num(f[1], &s->n) && s->n > 0);
	return 0;
}

/* RssAnon in bytes, from /proc/self/status read into a stack buffer; -1 if absent. */
static int64_t rss_anon(void)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	const char *p = strstr(buf, "\nRssAnon:");
	if (!p)
		return -1;
	p += 9;
	while (*p == ' ' || *p == '\t')
		p++;
	int64_t kb = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		kb = kb * 10 + (*p - '0');
	return kb * 1024;
}

static void record(result *r, int heap, int kind)
{
	r->anon = rss_anon();
	r->held = -1;
	if (heap) {
		ms_heap h;
		ms_heap_stats(kind, &h);
		r->held = h.held;
	}
}

int twin_main(int argc, char **argv)
{
	int heap = 0, a = 2;
	if (a < argc && !strcmp(argv[a], "-heap")) {
		heap = 1;
		a++;
	}
	int64_t seed;
	if (a >= argc || !num(argv[a], &seed))
		return bad("want [-heap] SEED STEP...", a < argc ? argv[a] : "(no seed)");
	int nsteps = argc - a - 1;
	if (nsteps < 1 || nsteps > MAX_STEPS)
		return bad("want 1 to 256 steps", argv[a]);
	for (int i = 0; i < nsteps; i++)
		if (!parse(argv[a + 1 + i], &steps[i]))
			return bad("bad step", argv[a + 1 + i]);

	char path[512], version[128];
	int kind = ms_detect(path, sizeof path, version, sizeof version);
	int err = 0;
	ms_engine *e = ms_engine_new((uint64_t)seed, &err);
	if (!e)
		return bad("mapping the engine", strerror(err));
	ms_counters c;
	record(&results[0], heap, kind);
	snprintf(results[0].detail, sizeof results[0].detail, "%s %s", path, version);

	for (int i = 0; i < nsteps; i++) {
		step *s = &steps[i];
		result *r = &results[i + 1];
		int rc = 0;
		switch (s->kind) {
		case T_FILL: {
			ms_fill_result fr;
			rc = ms_fill(e, &s->fill, NULL, NULL, &c, &fr);
			if (!rc && fr.status != MS_FILL_DONE)
				rc = fr.err ? fr.err : ENOMEM;
			snprintf(r->detail, sizeof r->detail, "%lld objects, %lld bytes", (long long)fr.count, (long long)fr.bytes);
			break;
		}
		case T_FREE: {
			int64_t b, n;
			rc = ms_free(e, &s->sel, &c, &b, &n);
			snprintf(r->detail, sizeof r->detail, "%lld objects, %lld bytes", (long long)n, (long long)b);
			break;
		}
		case T_TRIM:
			rc = ms_trim(kind, r->detail, sizeof r->detail);
			break;
		case T_HOLD: {
			struct timespec ts = {s->n / 1000, (s->n % 1000) * 1000000L};
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
			break;
		}
		case T_PIN:
			pins[i] = malloc((size_t)s->n);
			rc = pins[i] ? 0 : ENOMEM;
			break;
		case T_POKE: {
			void *volatile p = malloc((size_t)s->n);
			rc = p ? 0 : ENOMEM;
			free(p);
			break;
		}
		}
		record(r, heap, kind);
		if (rc) {
			fprintf(stderr, "cref twin: step %s: %s\n", s->text, strerror(rc));
			return 1;
		}
	}

	size_t len = 0;
	for (int i = 0; i <= nsteps && len < sizeof out; i++)
		len += (size_t)snprintf(out + len, sizeof out - len, "%s\t%lld\t%lld\t%s\n", i ? steps[i - 1].text : "start",
				       (long long)results[i].anon, (long long)results[i].held, results[i].detail);
	if (len > sizeof out)
		len = sizeof out;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(1, out + off, len - off);
		if (w <= 0)
			return 1;
		off += (size_t)w;
	}
	return 0;
}
