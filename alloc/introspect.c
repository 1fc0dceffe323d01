/* introspect.c: allocator detection, statistics and trimming, none of which
 * allocates after detection (see introspect.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "elfsym.h"
#include "introspect.h"

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef const char *(*tc_version_fn)(int *, int *, const char **);
typedef int (*tc_prop_fn)(const char *, size_t *);
typedef void (*void_fn)(void);
typedef int (*mi_version_fn)(void);
typedef void (*mi_collect_fn)(_Bool);
typedef void (*mi_info_fn)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *);

/* What ms_detect found; read-only afterwards. */
static struct {
	int kind;
	char path[4096], version[256];
	mallctl_fn mallctl;
	tc_prop_fn tc_prop;
	void_fn tc_release, tc_idle;
	mi_collect_fn mi_collect;
	mi_info_fn mi_info;
	FILE *info; /* glibc: malloc_info's sink, a memfd */
	int info_fd;
} det = {.info_fd = -1};

static pthread_mutex_t info_mu = PTHREAD_MUTEX_INITIALIZER;
static char info_buf[8192];

/* dl_iterate_phdr state: find the object holding malloc, then, past an
 * interposer, the next object defining malloc. */
struct find {
	void *malloc_addr;
	int past_interposer;
	void *found; /* the chosen object's malloc */
};

static int holds(const struct dl_phdr_info *info, const void *p)
{
	uintptr_t a = (uintptr_t)p;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && a >= lo && a < lo + ph->p_memsz)
			return 1;
	}
	return 0;
}

static void recognise(const ms_elf *e)
{
	void *s;
	if ((s = ms_elf_sym(e, "mallctl"))) {
		det.kind = MS_ALLOC_JEMALLOC;
		det.mallctl = (mallctl_fn)s;
		const char *v = NULL;
		size_t sz = sizeof v;
		if (det.mallctl("version", &v, &sz, NULL, 0) == 0 && v)
			snprintf(det.version, sizeof det.version, "%s", v);
	} else if ((s = ms_elf_sym(e, "tc_version")) || ms_elf_sym(e, "MallocExtension_GetNumericProperty")) {
		det.kind = MS_ALLOC_TCMALLOC;
		if (s) {
			int maj = 0, min = 0;
			const char *patch = NULL, *v = ((tc_version_fn)s)(&maj, &min, &patch);
			snprintf(det.version, sizeof det.version, "%s", v ? v : "");
		}
		det.tc_prop = (tc_prop_fn)ms_elf_sym(e, "MallocExtension_GetNumericProperty");
		det.tc_release = (void_fn)ms_elf_sym(e, "MallocExtension_ReleaseFreeMemory");
		det.tc_idle = (void_fn)ms_elf_sym(e, "MallocExtension_MarkThreadIdle");
	} else if ((s = ms_elf_sym(e, "mi_version"))) {
		det.kind = MS_ALLOC_MIMALLOC;
		int v = ((mi_version_fn)s)(); /* e.g. 209 for 2.0.9 */
		snprintf(det.version, sizeof det.version, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
		det.mi_collect = (mi_collect_fn)ms_elf_sym(e, "mi_collect");
		det.mi_info = (mi_info_fn)ms_elf_sym(e, "mi_process_info");
	} else if (ms_elf_sym(e, "gnu_get_libc_version")) {
		det.kind = MS_ALLOC_GLIBC;
		snprintf(det.version, sizeof det.version, "%s", gnu_get_libc_version());
	}
}

static int find_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find *f = data;
	ms_elf e;
	(void)size;
	if (!f->past_interposer && !holds(info, f->malloc_addr))
		return 0;
	if (!ms_elf_open(&e, info))
		return 0;
	void *m = ms_elf_sym(&e, "malloc");
	if (!m)
		return 0;
	if (ms_elf_sym(&e, "memstorm_interposer")) {
		f->past_interposer = 1;
		return 0;
	}
	f->found = m;
	recognise(&e);
	return 1;
}

/* glibc's malloc_info writes through stdio: a FILE with a static buffer over
 * a memfd opened for append, truncated before each report, never allocates
 * again once made. */
static void make_info_sink(void)
{
	int fd = memfd_create("memstorm-malloc-info", MFD_CLOEXEC);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "a");
	if (!f || setvbuf(f, info_buf, _IOFBF, sizeof info_buf) != 0) {
		if (f)
			fclose(f);
		else
			close(fd);
		return;
	}
	det.info = f;
	det.info_fd = fd;
}

static void detect_once(void)
{
	struct find f = {.malloc_addr = dlsym(RTLD_DEFAULT, "malloc")};
	if (!f.malloc_addr)
		return;
	dl_iterate_phdr(find_cb, &f);
	Dl_info di;
	if (f.found && dladdr(f.found, &di) && di.dli_fname)
		snprintf(det.path, sizeof det.path, "%s", di.dli_fname);
	if (det.kind == MS_ALLOC_GLIBC)
		make_info_sink();
}

int ms_detect(char *path, size_t pathlen, char *version, size_t verlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, detect_once);
	snprintf(path, pathlen, "%s", det.path);
	snprintf(version, verlen, "%s", det.version);
	return det.kind;
}

/* Counts "<heap nr=" in the first n bytes of fd, reading through a stack buffer. */
static int64_t count_heaps(int fd, off_t n)
{
	static const char pat[] = "<heap nr=";
	const size_t plen = sizeof pat - 1;
	char buf[4096 + sizeof pat];
	size_t keep = 0;
	int64_t count = 0;
	for (off_t off = 0; off < n;) {
		ssize_t r = pread(fd, buf + keep, 4096, off);
		if (r <= 0)
			return -1;
		off += r;
		size_t len = keep + (size_t)r;
		for (size_t i = 0; i + plen <= len; i++)
			count += memcmp(buf + i, pat, plen) == 0;
		keep = len < plen - 1 ? len : plen - 1; /* a match cut at the end is counted next round */
		memmove(buf, buf + len - keep, keep);
	}
	return count;
}

static int64_t glibc_arenas(void)
{
	if (!det.info)
		return -1;
	int64_t n = -1;
	pthread_mutex_lock(&info_mu);
	if (ftruncate(det.info_fd, 0) == 0 && malloc_info(0, det.info) == 0 && fflush(det.info) == 0) {
		off_t end = lseek(det.info_fd, 0, SEEK_END);
		if (end > 0)
			n = count_heaps(det.info_fd, end);
	}
	clearerr(det.info);
	pthread_mutex_unlock(&info_mu);
	return n;
}

static int64_t je_size(const char *name)
{
	size_t v = 0, sz = sizeof v;
	return det.mallctl(name, &v, &sz, NULL, 0) == 0 ? (int64_t)v : -1;
}

static int64_t tc_prop(const char *name)
{
	size_t v = 0;
	return det.tc_prop(name, &v) ? (int64_t)v : -1;
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
		if (!det.mallctl)
			break;
		uint64_t epoch = 1;
		size_t sz = sizeof epoch;
		det.mallctl("epoch", &epoch, &sz, &epoch, sz); /* refreshes the cached stats */
		h->in_use = je_size("stats.allocated");
		h->held = je_size("stats.resident");
		h->retained = je_size("stats.retained");
		unsigned na = 0;
		sz = sizeof na;
		if (det.mallctl("arenas.narenas", &na, &sz, NULL, 0) == 0)
			h->arenas = na;
		break;
	}
	case MS_ALLOC_TCMALLOC: {
		if (!det.tc_prop)
			break;
		h->in_use = tc_prop("generic.current_allocated_bytes");
		int64_t heap = tc_prop("generic.heap_size");
		int64_t unmapped = tc_prop("tcmalloc.pageheap_unmapped_bytes");
		if (heap >= 0 && unmapped >= 0)
			h->held = heap - unmapped;
		h->retained = unmapped;
		break;
	}
	case MS_ALLOC_MIMALLOC: {
		if (!det.mi_info)
			break;
		size_t el, us, sy, rss, prss, commit = 0, pcommit, faults;
		det.mi_info(&el, &us, &sy, &rss, &prss, &commit, &pcommit, &faults);
		h->held = (int64_t)commit;
		break;
	}
	}
}

int ms_trim_thread(int kind, char *what, size_t whatlen)
{
	what[0] = 0;
	switch (kind) {
	case MS_ALLOC_JEMALLOC: {
		if (!det.mallctl)
			return ENOSYS;
		int rc = det.mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
		snprintf(what, whatlen, "%s", rc == 0 ? "thread.tcache.flush" : "thread.tcache.flush (no tcache)");
		return 0;
	}
	case MS_ALLOC_TCMALLOC:
		if (!det.tc_idle)
			return ENOSYS;
		det.tc_idle();
		snprintf(what, whatlen, "MallocExtension_MarkThreadIdle");
		return 0;
	case MS_ALLOC_MIMALLOC:
		if (!det.mi_collect)
			return ENOSYS;
		det.mi_collect(1);
		snprintf(what, whatlen, "mi_collect(true)");
		return 0;
	}
	return ENOSYS;
}

int ms_trim(int kind, char *what, size_t whatlen)
{
	what[0] = 0;
	switch (kind) {
	case MS_ALLOC_GLIBC: {
		int released = malloc_trim(0);
		snprintf(what, whatlen, "malloc_trim(0) (%s)", released ? "released memory" : "nothing to release");
		return 0;
	}
	case MS_ALLOC_JEMALLOC: {
		char t[64];
		int rc = ms_trim_thread(kind, t, sizeof t);
		if (rc)
			return rc;
		rc = det.mallctl("arena.4096.purge", NULL, NULL, NULL, 0); /* 4096 = MALLCTL_ARENAS_ALL */
		snprintf(what, whatlen, "%s, arena.4096.purge (every arena's dirty and muzzy pages)", t);
		return rc;
	}
	case MS_ALLOC_TCMALLOC: {
		if (!det.tc_release)
			return ENOSYS;
		char t[64] = "";
		ms_trim_thread(kind, t, sizeof t); /* without it, the thread cache keeps its spans */
		det.tc_release();
		snprintf(what, whatlen, "%s%sMallocExtension_ReleaseFreeMemory", t, t[0] ? ", " : "");
		return 0;
	}
	case MS_ALLOC_MIMALLOC:
		return ms_trim_thread(kind, what, whatlen);
	}
	return ENOSYS;
}

int ms_mallopt(int param, int value)
{
	return mallopt(param, value) == 1 ? 0 : EINVAL;
}
