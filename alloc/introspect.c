/* introspect.c: allocator detection and statistics, all non-glibc symbols via dlsym at run time. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "introspect.h"

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef const char *(*tc_version_fn)(int *, int *, const char **);
typedef int (*tc_prop_fn)(const char *, size_t *);
typedef void (*tc_release_fn)(void);
typedef int (*mi_version_fn)(void);
typedef void (*mi_collect_fn)(_Bool);
typedef void (*mi_info_fn)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *);

/* The symbol's address when it lives in the same object as base, else NULL. */
static void *sym_in(const char *name, const void *base)
{
	void *s = dlsym(RTLD_DEFAULT, name);
	Dl_info di;
	if (!s || !dladdr(s, &di) || di.dli_fbase != base)
		return NULL;
	return s;
}

int ms_detect(char *path, size_t pathlen, char *version, size_t verlen)
{
	Dl_info di;
	void *m = dlsym(RTLD_DEFAULT, "malloc");
	path[0] = version[0] = 0;
	if (!m || !dladdr(m, &di))
		return MS_ALLOC_UNKNOWN;
	snprintf(path, pathlen, "%s", di.dli_fname ? di.dli_fname : "");
	void *s;
	if ((s = sym_in("mallctl", di.dli_fbase))) {
		const char *v = NULL;
		size_t sz = sizeof v;
		if (((mallctl_fn)s)("version", &v, &sz, NULL, 0) == 0 && v)
			snprintf(version, verlen, "%s", v);
		return MS_ALLOC_JEMALLOC;
	}
	if ((s = sym_in("tc_version", di.dli_fbase))) {
		int maj = 0, min = 0;
		const char *patch = NULL;
		const char *v = ((tc_version_fn)s)(&maj, &min, &patch);
		snprintf(version, verlen, "%s", v ? v : "");
		return MS_ALLOC_TCMALLOC;
	}
	if (sym_in("MallocExtension_GetNumericProperty", di.dli_fbase))
		return MS_ALLOC_TCMALLOC;
	if ((s = sym_in("mi_version", di.dli_fbase))) {
		int v = ((mi_version_fn)s)(); /* e.g. 209 for 2.0.9 */
		snprintf(version, verlen, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
		return MS_ALLOC_MIMALLOC;
	}
	if (sym_in("gnu_get_libc_version", di.dli_fbase)) {
		snprintf(version, verlen, "%s", gnu_get_libc_version());
		return MS_ALLOC_GLIBC;
	}
	return MS_ALLOC_UNKNOWN;
}

static int64_t glibc_arenas(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -1;
	int rc = malloc_info(0, f);
	fclose(f);
	int64_t n = -1;
	if (rc == 0 && buf) {
		n = 0;
		for (const char *p = buf; (p = strstr(p, "<heap nr=")); p++)
			n++;
	}
	free(buf);
	return n;
}

static int64_t je_size(mallctl_fn ctl, const char *name)
{
	size_t v = 0, sz = sizeof v;
	return ctl(name, &v, &sz, NULL, 0) == 0 ? (int64_t)v : -1;
}

static int64_t tc_prop(tc_prop_fn get, const char *name)
{
	size_t v = 0;
	return get(name, &v) ? (int64_t)v : -1;
}

void ms_heap_stats(int kind, ms_heap *h)
{
	h->in_use = h->held = h->retained = h->arenas = -1;
	switch (kind) {
	case MS_ALLOC_GLIBC: {
		struct mallinfo2 mi = mallinfo2();
		h->in_use = (int64_t)(mi.uordblks + mi.hblkhd);
		h->held = (int64_t)(mi.arena + mi.hblkhd);
		h->arenas = glibc_arenas();
		break;
	}
	case MS_ALLOC_JEMALLOC: {
		mallctl_fn ctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
		if (!ctl)
			break;
		uint64_t epoch = 1;
		size_t sz = sizeof epoch;
		ctl("epoch", &epoch, &sz, &epoch, sz); /* refreshes the cached stats */
		h->in_use = je_size(ctl, "stats.allocated");
		h->held = je_size(ctl, "stats.resident");
		h->retained = je_size(ctl, "stats.retained");
		unsigned na = 0;
		sz = sizeof na;
		if (ctl("arenas.narenas", &na, &sz, NULL, 0) == 0)
			h->arenas = na;
		break;
	}
	case MS_ALLOC_TCMALLOC: {
		tc_prop_fn get = (tc_prop_fn)dlsym(RTLD_DEFAULT, "MallocExtension_GetNumericProperty");
		if (!get)
			break;
		h->in_use = tc_prop(get, "generic.current_allocated_bytes");
		int64_t heap = tc_prop(get, "generic.heap_size");
		int64_t unmapped = tc_prop(get, "tcmalloc.pageheap_unmapped_bytes");
		if (heap >= 0 && unmapped >= 0)
			h->held = heap - unmapped;
		h->retained = unmapped;
		break;
	}
	case MS_ALLOC_MIMALLOC: {
		mi_info_fn info = (mi_info_fn)dlsym(RTLD_DEFAULT, "mi_process_info");
		if (!info)
			break;
		size_t el, us, sy, rss, prss, commit = 0, pcommit, faults;
		info(&el, &us, &sy, &rss, &prss, &commit, &pcommit, &faults);
		h->held = (int64_t)commit;
		break;
	}
	}
}

int ms_trim(int kind)
{
	switch (kind) {
	case MS_ALLOC_GLIBC:
		malloc_trim(0);
		return 0;
	case MS_ALLOC_JEMALLOC: {
		mallctl_fn ctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
		if (!ctl)
			return ENOSYS;
		return ctl("arena.4096.purge", NULL, NULL, NULL, 0); /* 4096 = MALLCTL_ARENAS_ALL */
	}
	case MS_ALLOC_TCMALLOC: {
		tc_release_fn rel = (tc_release_fn)dlsym(RTLD_DEFAULT, "MallocExtension_ReleaseFreeMemory");
		if (!rel)
			return ENOSYS;
		rel();
		return 0;
	}
	case MS_ALLOC_MIMALLOC: {
		mi_collect_fn col = (mi_collect_fn)dlsym(RTLD_DEFAULT, "mi_collect");
		if (!col)
			return ENOSYS;
		col(1);
		return 0;
	}
	}
	return ENOSYS;
}

int ms_mallopt(int param, int value)
{
	return mallopt(param, value) == 1 ? 0 : EINVAL;
}
