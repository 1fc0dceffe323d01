/* ops_select.c: the free/madvise selection patterns of ops.h, as a streaming chooser. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include "ops.h"

int ms_selector_init(ms_selector *s, const ms_selection *sel, int64_t total)
{
	memset(s, 0, sizeof *s);
	s->sel = *sel;
	s->total = total;
	switch (sel->pattern) {
	case MS_SEL_RANDOM:
		ms_rng_seed(s->rng, sel->seed);
		/* fall through */
	case MS_SEL_OLDEST:
	case MS_SEL_NEWEST:
		s->k = (int64_t)llround(sel->fraction * (double)total);
		if (s->k < 0)
			s->k = 0;
		if (s->k > total)
			s->k = total;
		break;
	case MS_SEL_KEEP_ONE_PER_PAGE: {
		int64_t cap = 1024;
		while (cap < 2 * total)
			cap *= 2;
		void *p = mmap(NULL, (size_t)cap * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		s->set = p;
		s->setcap = cap;
		break;
	}
	case MS_SEL_ALL:
	case MS_SEL_EVERY_NTH:
	case MS_SEL_LARGER:
	case MS_SEL_SMALLER:
		break;
	default:
		return EINVAL;
	}
	if (sel->pattern == MS_SEL_EVERY_NTH && sel->n < 1)
		return EINVAL;
	return 0;
}

/* Inserts page+1 (0 marks an empty cell); returns 1 when it was new. */
static int set_add(ms_selector *s, uint64_t page)
{
	uint64_t key = page + 1, mask = (uint64_t)s->setcap - 1;
	uint64_t h = (key * 0x9e3779b97f4a7c15ULL) >> 17;
	for (;; h++) {
		uint64_t *c = &s->set[h & mask];
		if (*c == key)
			return 0;
		if (*c == 0) {
			*c = key;
			return 1;
		}
	}
}

int ms_selector_pick(ms_selector *s, uint64_t addr, int64_t size)
{
	int64_t i = s->idx++;
	int pick = 0;
	switch (s->sel.pattern) {
	case MS_SEL_ALL:
		pick = 1;
		break;
	case MS_SEL_EVERY_NTH:
		pick = (i + 1) % s->sel.n == 0;
		break;
	case MS_SEL_KEEP_ONE_PER_PAGE:
		pick = !set_add(s, addr >> 12);
		break;
	case MS_SEL_RANDOM: {
		/* Selection sampling (Knuth's algorithm S): exactly k of total, uniformly. */
		int64_t need = s->k - s->picked, left = s->total - i;
		if (need > 0 && left > 0)
			pick = (int64_t)(((__uint128_t)ms_rng_next(s->rng) * (uint64_t)left) >> 64) < need;
		break;
	}
	case MS_SEL_OLDEST:
		pick = i < s->k;
		break;
	case MS_SEL_NEWEST:
		pick = i >= s->total - s->k;
		break;
	case MS_SEL_LARGER:
		pick = size > s->sel.size;
		break;
	case MS_SEL_SMALLER:
		pick = size < s->sel.size;
		break;
	}
	s->picked += pick;
	return pick;
}

void ms_selector_fini(ms_selector *s)
{
	if (s->set)
		munmap(s->set, (size_t)s->setcap * 8);
	s->set = NULL;
}

int64_t ms_window_start(const ms_selection *sel, int64_t n)
{
	if (sel->last > 0 && sel->last < n)
		return n - sel->last;
	return 0;
}

int ms_select_batch(const ms_selection *sel, int64_t n, const uint64_t *addr, const int64_t *size, uint8_t *out)
{
	ms_selector s;
	int64_t from = ms_window_start(sel, n);
	int err = ms_selector_init(&s, sel, n - from);
	if (err)
		return err;
	for (int64_t i = 0; i < from; i++)
		out[i] = 0;
	for (int64_t i = from; i < n; i++)
		out[i] = (uint8_t)ms_selector_pick(&s, addr[i], size[i]);
	ms_selector_fini(&s);
	return 0;
}
