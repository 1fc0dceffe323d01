/* ops_select.c: the free/madvise selection patterns of ops.h, as a streaming chooser. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include "ops.h"

#define SET_MIN 1024 /* cells: 8 KiB */

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
		s->setmax = SET_MIN;
		while (3 * s->setmax < 4 * total) /* room for every object at 3/4 load */
			s->setmax *= 2;
		void *p = mmap(NULL, SET_MIN * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		s->set = p;
		s->setcap = SET_MIN;
		s->peak_bytes = SET_MIN * 8;
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

/* Inserts key (page+1; 0 marks an empty cell) into a table of cap cells;
 * returns 1 when it was new. The table has a free cell. */
static int set_insert(uint64_t *set, int64_t cap, uint64_t key)
{
	uint64_t mask = (uint64_t)cap - 1;
	uint64_t h = (key * 0x9e3779b97f4a7c15ULL) >> 17;
	for (;; h++) {
		uint64_t *c = &set[h & mask];
		if (*c == key)
			return 0;
		if (*c == 0) {
			*c = key;
			return 1;
		}
	}
}

/* Doubles the set into a new mapping; both are mapped while it rehashes. */
static int set_grow(ms_selector *s)
{
	int64_t cap = s->setcap * 2;
	uint64_t *p = mmap(NULL, (size_t)cap * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return errno;
	if ((s->setcap + cap) * 8 > s->peak_bytes)
		s->peak_bytes = (s->setcap + cap) * 8;
	for (int64_t i = 0; i < s->setcap; i++)
		if (s->set[i])
			set_insert(p, cap, s->set[i]);
	munmap(s->set, (size_t)s->setcap * 8);
	s->set = p;
	s->setcap = cap;
	return 0;
}

/* 1 when page is new, 0 when seen before, -1 when the set could not grow. */
static int set_add(ms_selector *s, uint64_t page)
{
	if (4 * (s->setlen + 1) > 3 * s->setcap && s->setcap < s->setmax && set_grow(s) != 0)
		return -1;
	if (s->setlen + 1 >= s->setcap) /* cannot happen: 3/4 of setmax >= total */
		return -1;
	int added = set_insert(s->set, s->setcap, page + 1);
	s->setlen += added;
	return added;
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
	case MS_SEL_KEEP_ONE_PER_PAGE: {
		int added = set_add(s, addr >> 12);
		if (added < 0)
			return -1;
		pick = !added;
		break;
	}
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

int ms_select_batch(const ms_selection *sel, int64_t n, const uint64_t *addr, const int64_t *size, uint8_t *out,
		    int64_t *peak)
{
	ms_selector s;
	int64_t from = ms_window_start(sel, n);
	int err = ms_selector_init(&s, sel, n - from);
	*peak = 0;
	if (err)
		return err;
	memset(out, 0, (size_t)n);
	for (int64_t i = from; i < n; i++) {
		int pick = ms_selector_pick(&s, addr[i], size[i]);
		if (pick < 0) {
			memset(out, 0, (size_t)n);
			err = ENOMEM;
			break;
		}
		out[i] = (uint8_t)pick;
	}
	*peak = s.peak_bytes;
	ms_selector_fini(&s);
	return err;
}
