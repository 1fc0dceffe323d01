/* introspect.h: which allocator serves malloc, its heap statistics and trimming.
 *
 * None of these calls malloc once ms_detect has run: allocator functions are
 * resolved by ms_detect from the allocator's own symbol table (no dlsym, whose
 * misses allocate an error string), glibc's malloc_info writes into a FILE with
 * a static buffer over a memfd, made by ms_detect (its one allocation). */
#ifndef MEMSTORM_INTROSPECT_H
#define MEMSTORM_INTROSPECT_H
#include <stdint.h>
#include <stddef.h>

enum { MS_ALLOC_UNKNOWN, MS_ALLOC_GLIBC, MS_ALLOC_JEMALLOC, MS_ALLOC_TCMALLOC, MS_ALLOC_MIMALLOC };

typedef struct ms_heap {
	int64_t in_use, held, retained, arenas; /* -1 = not told */
} ms_heap;

/* Names the allocator behind malloc (seeing through an LD_PRELOADed library
 * that exports memstorm_interposer and forwards to the next malloc), writes
 * its path and version, and resolves what the calls below need. Call once,
 * before the others; later calls return the first answer. */
int ms_detect(char *path, size_t pathlen, char *version, size_t verlen);
void ms_heap_stats(int kind, ms_heap *h);
/* Gives free memory back to the OS as far as the allocator can, including the
 * calling thread's cache; writes what it did into what. 0 or an errno. */
int ms_trim(int kind, char *what, size_t whatlen);
/* Only the calling thread's cache (jemalloc tcache, tcmalloc thread cache,
 * mimalloc thread heap). 0, ENOSYS (glibc: no call flushes a tcache) or an errno. */
int ms_trim_thread(int kind, char *what, size_t whatlen);
int ms_mallopt(int param, int value);
#endif
