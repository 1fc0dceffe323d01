/* ops_dist.c: xoshiro256** PRNG and the size distributions of ops.h. */
#include <math.h>
#include "ops.h"

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void ms_rng_seed(uint64_t s[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		s[i] = splitmix64(&seed);
}

uint64_t ms_rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in [0, n) without division bias worth mentioning (Lemire's multiply). */
static inline uint64_t below(uint64_t s[4], uint64_t n)
{
	return (uint64_t)(((__uint128_t)ms_rng_next(s) * n) >> 64);
}

/* Uniform in (0, 1]. */
static inline double unit_open0(uint64_t s[4])
{
	return ((ms_rng_next(s) >> 11) + 1) * 0x1.0p-53;
}

static int64_t clamp(double x, int64_t lo, int64_t hi)
{
	if (!(x >= (double)lo)) /* also catches NaN */
		return lo;
	if (x >= (double)hi)
		return hi;
	int64_t v = (int64_t)llround(x);
	return v < lo ? lo : (v > hi ? hi : v);
}

int64_t ms_sample(uint64_t s[4], const ms_dist *d)
{
	switch (d->kind) {
	case MS_DIST_FIXED:
		return d->value;
	case MS_DIST_UNIFORM:
		return d->min + (int64_t)below(s, (uint64_t)(d->max - d->min) + 1);
	case MS_DIST_LOGNORMAL: {
		/* Box-Muller: one normal deviate per sample keeps the stream simple. */
		double u1 = unit_open0(s), u2 = unit_open0(s);
		double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		return clamp((double)d->median * exp(d->sigma * z), d->min, d->max);
	}
	case MS_DIST_PARETO: {
		double u = unit_open0(s);
		return clamp((double)d->min / pow(u, 1.0 / d->alpha), d->min, d->max);
	}
	case MS_DIST_HISTOGRAM: {
		double u = (ms_rng_next(s) >> 11) * 0x1.0p-53; /* [0,1) */
		int64_t lo = 0, hi = d->nsizes - 1;
		while (lo < hi) { /* first index with cum > u */
			int64_t mid = lo + (hi - lo) / 2;
			if (d->cum[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		return d->sizes[lo];
	}
	}
	return 0;
}
