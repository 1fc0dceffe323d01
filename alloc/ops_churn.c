/* ops_churn.c: a steady-state malloc/free op stream (the inner loop the plain-C reference reuses). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include "ops.h"

int64_t ms_churn(uint64_t rng[4], const ms_dist *d, int64_t live, int64_t ops)
{
	void **ring = mmap(NULL, (size_t)live * sizeof(void *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ring == MAP_FAILED)
		return -1;
	int64_t failed = 0;
	for (int64_t i = 0; i < live; i++)
		ring[i] = malloc((size_t)ms_sample(rng, d));
	for (int64_t i = 0; i < ops; i++) {
		uint64_t k = (uint64_t)(((__uint128_t)ms_rng_next(rng) * (uint64_t)live) >> 64);
		free(ring[k]);
		ring[k] = malloc((size_t)ms_sample(rng, d));
		failed += ring[k] == NULL;
	}
	for (int64_t i = 0; i < live; i++)
		free(ring[i]);
	munmap(ring, (size_t)live * sizeof(void *));
	return failed;
}
