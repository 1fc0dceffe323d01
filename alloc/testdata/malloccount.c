/*
 * malloccount: an LD_PRELOAD library that counts calls to the malloc family
 * and forwards each to the next definition (RTLD_NEXT), so it stacks in front
 * of any allocator: LD_PRELOAD=libmalloccount.so:libjemalloc.so.2.
 *
 * Counted: malloc, calloc, realloc, free, posix_memalign, aligned_alloc,
 * memalign, valloc; free(NULL) is counted as a free and also on its own. Not interposed, so not counted:
 * pvalloc, reallocarray, malloc_usable_size, and calls an allocator makes to
 * itself internally (they never go through the dynamic symbol).
 *
 * Read the counts with msc_counts (every thread) or msc_thread_counts (the
 * calling thread), both looked up with dlsym. The counters are relaxed
 * atomics; the thread counters are initial-exec TLS, which a preloaded
 * library may use and which never allocates.
 *
 * dlsym may itself call calloc/malloc (older glibc does, for its error
 * buffer) before the forward pointers are set: such calls are served from a
 * static bootstrap buffer and never forwarded, also not when freed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Counter indexes; MSC_FREE_NULL counts the free(NULL) calls among MSC_FREE. */
enum { MSC_MALLOC, MSC_CALLOC, MSC_REALLOC, MSC_FREE, MSC_POSIX_MEMALIGN, MSC_ALIGNED_ALLOC, MSC_MEMALIGN, MSC_VALLOC, MSC_FREE_NULL, MSC_N };

/* Marks this library as a forwarding interposer for memstorm's allocator
 * detection, which then names the allocator behind it. */
const char memstorm_interposer[] = "malloccount";

static uint64_t counts[MSC_N];
static __thread uint64_t tcounts[MSC_N] __attribute__((tls_model("initial-exec")));

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);
static void *(*next_memalign)(size_t, size_t);
static void *(*next_valloc)(size_t);

static inline void count(int i)
{
	__atomic_fetch_add(&counts[i], 1, __ATOMIC_RELAXED);
	tcounts[i]++;
}

/* The bootstrap buffer: a bump allocator with a 16-byte size header. */
static char boot[64 << 10] __attribute__((aligned(64)));
static size_t boot_used;

static int in_boot(const void *p)
{
	return (const char *)p >= boot && (const char *)p < boot + sizeof boot;
}

static void *boot_alloc(size_t n, size_t align)
{
	if (align < 16)
		align = 16;
	size_t off = __atomic_load_n(&boot_used, __ATOMIC_RELAXED), start, end;
	do {
		start = (off + 16 + align - 1) & ~(align - 1);
		end = start + n;
		if (end > sizeof boot || end < start)
			return NULL;
	} while (!__atomic_compare_exchange_n(&boot_used, &off, end, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	memcpy(boot + start - 16, &n, sizeof n);
	return boot + start; /* zeroed: static storage, never reused */
}

static int resolving;

static void resolve(void)
{
	if (__atomic_load_n(&next_free, __ATOMIC_ACQUIRE))
		return;
	resolving = 1;
	next_malloc = dlsym(RTLD_NEXT, "malloc");
	next_calloc = dlsym(RTLD_NEXT, "calloc");
	next_realloc = dlsym(RTLD_NEXT, "realloc");
	next_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	next_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	next_memalign = dlsym(RTLD_NEXT, "memalign");
	next_valloc = dlsym(RTLD_NEXT, "valloc");
	__atomic_store_n(&next_free, (void (*)(void *))dlsym(RTLD_NEXT, "free"), __ATOMIC_RELEASE);
	resolving = 0;
}

__attribute__((constructor)) static void init(void) { resolve(); }

/* Set when a call is made during resolution: it is served from boot. */
#define BOOTSTRAP(n, align)                                   \
	do {                                                  \
		if (!__atomic_load_n(&next_free, __ATOMIC_ACQUIRE)) { \
			if (resolving)                        \
				return boot_alloc((n), (align)); \
			resolve();                            \
		}                                             \
	} while (0)

void *malloc(size_t n)
{
	count(MSC_MALLOC);
	BOOTSTRAP(n, 16);
	return next_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	count(MSC_CALLOC);
	if (n && k > SIZE_MAX / n)
		return NULL;
	BOOTSTRAP(k * n, 16);
	return next_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	count(MSC_REALLOC);
	BOOTSTRAP(n, 16);
	if (in_boot(p)) {
		size_t old;
		memcpy(&old, (char *)p - 16, sizeof old);
		void *q = next_malloc(n);
		if (q)
			memcpy(q, p, old < n ? old : n);
		return q;
	}
	return next_realloc(p, n);
}

void free(void *p)
{
	count(MSC_FREE);
	if (!p)
		count(MSC_FREE_NULL);
	if (!p || in_boot(p))
		return;
	if (!__atomic_load_n(&next_free, __ATOMIC_ACQUIRE))
		resolve();
	next_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	count(MSC_POSIX_MEMALIGN);
	if (!__atomic_load_n(&next_free, __ATOMIC_ACQUIRE)) {
		if (resolving) {
			*out = boot_alloc(n, align);
			return *out ? 0 : ENOMEM;
		}
		resolve();
	}
	return next_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	count(MSC_ALIGNED_ALLOC);
	BOOTSTRAP(n, align);
	return next_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
	count(MSC_MEMALIGN);
	BOOTSTRAP(n, align);
	return next_memalign(align, n);
}

void *valloc(size_t n)
{
	count(MSC_VALLOC);
	BOOTSTRAP(n, 4096);
	return next_valloc(n);
}

/* Copies up to n process-wide counts (in the MSC_ order above) into out;
 * returns how many counters there are. */
int msc_counts(uint64_t *out, int n)
{
	for (int i = 0; i < n && i < MSC_N; i++)
		out[i] = __atomic_load_n(&counts[i], __ATOMIC_RELAXED);
	return MSC_N;
}

/* The same for the calling thread's calls only. */
int msc_thread_counts(uint64_t *out, int n)
{
	for (int i = 0; i < n && i < MSC_N; i++)
		out[i] = tcounts[i];
	return MSC_N;
}
