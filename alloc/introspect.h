/* introspect.h: which allocator serves malloc, its heap statistics and trimming. */
#ifndef MEMSTORM_INTROSPECT_H
#define MEMSTORM_INTROSPECT_H
#include <stdint.h>
#include <stddef.h>

enum { MS_ALLOC_UNKNOWN, MS_ALLOC_GLIBC, MS_ALLOC_JEMALLOC, MS_ALLOC_TCMALLOC, MS_ALLOC_MIMALLOC };

typedef struct ms_heap {
	int64_t in_use, held, retained, arenas; /* -1 = not told */
} ms_heap;

int ms_detect(char *path, size_t pathlen, char *version, size_t verlen);
void ms_heap_stats(int kind, ms_heap *h);
int ms_trim(int kind);
int ms_mallopt(int param, int value);
#endif
