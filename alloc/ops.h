/*
 * ops.h: the allocation op-stream engine of memstorm, plain C with no Go
 * dependency so that a standalone C reference program can reuse it.
 *
 * Slot encoding (one uint64_t per live object, in allocation order):
 *   malloc family (tag 0): bits 0..2 = 0, bits 3..47 = pointer (>= 8-aligned),
 *       bits 48..63 = requested size when 1..65535, else 0 and the size is
 *       stored in the object's first 8 bytes (objects >= 64 KiB).
 *   mmap (tag 1): bits 0..2 = 1, bits 12..47 = page-aligned pointer, the
 *       requested size split over bits 3..11 (low 9 bits) and 48..63 (high 16
 *       bits) when below 32 MiB, else 0 and the size is in the first 8 bytes.
 *   file and tmpfs extents (tags 2 and 3, ops_file.c): as mmap, the
 *       extent's offset in the engine's file in place of the pointer.
 */
#ifndef MEMSTORM_OPS_H
#define MEMSTORM_OPS_H

#include <stdint.h>
#include <stddef.h>

/* Same layout as alloc.Counters; 64 bytes, written with relaxed atomic stores. */
typedef struct ms_counters {
	int64_t live_bytes, live_objects, alloc_bytes, free_bytes;
	int64_t alloc_ops, transient_peak_bytes, bookkeeping_bytes, failures;
} ms_counters;

enum { MS_VIA_MALLOC, MS_VIA_CALLOC, MS_VIA_REALLOC, MS_VIA_MEMALIGN, MS_VIA_MMAP, MS_VIA_GO,
       MS_VIA_FILE, MS_VIA_TMPFS, MS_VIA_MEMFD, MS_VIA_SHM /* ops_file.c */ };
enum { MS_TAG_MALLOC, MS_TAG_MMAP, MS_TAG_FILE, MS_TAG_TMPFS };
enum { MS_DIST_FIXED, MS_DIST_UNIFORM, MS_DIST_LOGNORMAL, MS_DIST_PARETO, MS_DIST_HISTOGRAM };
enum { MS_FILL_BUDGET, MS_FILL_DONE, MS_FILL_ENOMEM };
/* How an mmap'd object becomes resident (via mmap only). MS_POP_WRITE is
 * madvise(MADV_POPULATE_WRITE) (Linux 5.14+), touching page by page where
 * the kernel does not know it; MS_POP_MAP is mmap(MAP_POPULATE). */
enum { MS_POP_NONE, MS_POP_WRITE, MS_POP_MAP };
/* The pages of an mmap'd object (via mmap only): the host's THP mode,
 * madvise(MADV_HUGEPAGE), madvise(MADV_NOHUGEPAGE), or explicit huge pages
 * from the hugetlb pool (MAP_HUGETLB) of 2 MiB or 1 GiB, the object's size
 * rounded up to whole pages. */
enum { MS_HUGE_DEFAULT, MS_HUGE_THP, MS_HUGE_NOTHP, MS_HUGE_2M, MS_HUGE_1G };
enum {
	MS_SEL_ALL, MS_SEL_EVERY_NTH, MS_SEL_KEEP_ONE_PER_PAGE, MS_SEL_RANDOM,
	MS_SEL_OLDEST, MS_SEL_NEWEST, MS_SEL_LARGER, MS_SEL_SMALLER
};

/* A size distribution; sizes/cum (cumulative weights ending at 1.0) only for histograms. */
typedef struct ms_dist {
	int kind;
	int64_t value, min, max, median;
	double sigma, alpha;
	const int64_t *sizes;
	const double *cum;
	int64_t nsizes;
} ms_dist;

typedef struct ms_fill {
	int via;
	int touch;
	int populate; /* MS_POP_*, via mmap only */
	int huge;     /* MS_HUGE_*, via mmap only */
	int lock;     /* mlock(2) each mapping (resident and locked), via mmap only */
	int64_t align;
	ms_dist dist;
	int64_t max_bytes, max_count; /* 0 = unbounded */
	int64_t budget_ns;
} ms_fill_spec;

typedef struct ms_fill_result {
	int status;
	int err; /* errno of the failed allocation */
	int64_t bytes, count, failed_size;
} ms_fill_result;

typedef struct ms_selection {
	int pattern;
	int64_t n;
	double fraction;
	uint64_t seed;
	int64_t size;
	int64_t last; /* > 0: only the newest `last` objects are candidates; older ones are kept */
} ms_selection;

/* Streaming chooser: feed it exactly `total` objects in allocation order. */
typedef struct ms_selector {
	ms_selection sel;
	int64_t total, idx, k, picked;
	uint64_t rng[4];
	/* KeepOnePerPage: an open-addressing set of the pages seen, mmap'd. It
	 * starts at 1024 cells (8 KiB) and doubles when more than 3/4 full, up
	 * to the power of two that holds every object at 3/4 load, so it grows
	 * with the distinct pages, not the objects: 4/3 to 8/3 cells of 8 B per
	 * page, 1.5 times that while the old table is rehashed into the new;
	 * at most 32 B per distinct page, and never more per object than a table
	 * sized for every object. */
	uint64_t *set;
	int64_t setcap, setlen, setmax;
	int64_t peak_bytes; /* the most set memory mapped at once (old and new table while growing) */
} ms_selector;

/* Counts of how mmap'd objects were made resident (MS_POP_WRITE). */
typedef struct ms_populate_stats {
	int64_t populated;    /* by MADV_POPULATE_WRITE */
	int64_t touched;      /* by touching, the kernel lacking it */
} ms_populate_stats;

typedef struct ms_engine {
	uint64_t rng[4];
	uint64_t *slots;
	int64_t len, cap; /* slots used, slots mapped */
	int64_t mmap_live; /* live objects with tag 1 */
	int64_t extra_book; /* bookkeeping held elsewhere (the Go-heap list) */
	ms_counters c; /* authoritative totals, published to the caller's copy */
	ms_populate_stats pop;
	int no_populate_write; /* the kernel refused MADV_POPULATE_WRITE with EINVAL */
	struct ms_files *files; /* ops_file.c's state, mapped at the first extent */
} ms_engine;

void ms_rng_seed(uint64_t s[4], uint64_t seed);
uint64_t ms_rng_next(uint64_t s[4]);
int64_t ms_sample(uint64_t s[4], const ms_dist *d);

int ms_selector_init(ms_selector *s, const ms_selection *sel, int64_t total);
/* 1: pick the object, 0: keep it, -1: the page set could not grow (ENOMEM). */
int ms_selector_pick(ms_selector *s, uint64_t addr, int64_t size);
/* Index of the first candidate among n objects under sel->last (0 when unset). */
int64_t ms_window_start(const ms_selection *sel, int64_t n);
void ms_selector_fini(ms_selector *s);
/* Runs a selector over arrays (for objects kept outside the engine); out[i] = 1
 * to free. *peak receives the selector's peak_bytes. On error nothing is picked. */
int ms_select_batch(const ms_selection *sel, int64_t n, const uint64_t *addr, const int64_t *size, uint8_t *out,
		    int64_t *peak);

ms_engine *ms_engine_new(uint64_t seed, int *err);
int ms_fill(ms_engine *e, const ms_fill_spec *f, const int64_t *sizes, const double *cum, ms_counters *pub, ms_fill_result *r);
int ms_free(ms_engine *e, const ms_selection *sel, ms_counters *pub, int64_t *bytes, int64_t *count);
int ms_madvise(ms_engine *e, const ms_selection *sel, int advice, ms_counters *pub, int64_t *bytes, int64_t *count);
void ms_sample_batch(ms_engine *e, const ms_dist *d, const int64_t *sizes, const double *cum, int64_t *out, int64_t n);
void ms_publish(ms_engine *e, ms_counters *pub);
/* Raises the transient peak to bytes if it is larger (published by the next ms_publish). */
void ms_note_transient(ms_engine *e, int64_t bytes);
int ms_engine_close(ms_engine *e, ms_counters *pub);
/* Reads back size and address of slot i (for tests and the Go side). */
int64_t ms_slot(const ms_engine *e, int64_t i, uint64_t *addr, int *tag);

/* Steady-state churn: `live` objects in a ring, then `ops` times free a random
 * one and malloc a new size from d. Returns the number of NULL mallocs, -1 if
 * the ring could not be mapped. */
int64_t ms_churn(uint64_t rng[4], const ms_dist *d, int64_t live, int64_t ops);

/* ops_file.c: the file, tmpfs, memfd and shm backends. ms_file_alloc makes
 * one object (a mapping with tag MS_TAG_MMAP, or an extent whose offset it
 * returns as the pointer), written and read back or, for a mapping, left to
 * the caller to touch. */
int ms_files_set_dirs(const char *file_dir, const char *tmpfs_dir);
void *ms_file_alloc(ms_engine *e, const ms_fill_spec *f, int64_t size, int *tag, int *err);
int64_t ms_file_size(const ms_engine *e, int tag, uint64_t off);
void ms_file_release(ms_engine *e, int tag, uint64_t off, int64_t size, int *err);
int64_t ms_files_bytes(const ms_engine *e);
void ms_files_close(ms_engine *e);

#endif
