/* ops_file.c: the backends whose pages are files' pages, charged to the
 * memory cgroup as page cache (file) or as shared memory (shmem):
 *
 *   file   each object is an extent of a file on a disk filesystem,
 *          written with pwrite(2) and read back with pread(2): page cache,
 *          which the kernel may write back and reclaim at the limit.
 *   tmpfs  the same on a tmpfs mount (/dev/shm by default): shmem pages,
 *          which without swap cannot be reclaimed.
 *   memfd  a memfd_create(2) file per object, mapped MAP_SHARED and
 *          touched like an mmap object: shmem.
 *   shm    a POSIX shared memory object (shm_open(3)) per object, the
 *          same way: shmem.
 *
 * No name outlives the call that made it: the engine's files are opened
 * O_TMPFILE (never named) or, where the filesystem cannot, created and
 * unlinked at once; a shm object is unlinked right after shm_open, and a
 * memfd has no name. A worker killed at any point leaves nothing but, in
 * the few instructions between a create and its unlink, a name
 * memstorm-PID-N in the directory (or /dev/shm), which the supervisor
 * removes by that pattern once the worker has ended.
 *
 * memfd and shm objects are mappings (tag 1): ops_engine.c touches and
 * unmaps them as mmap objects, and the kernel frees their pages with the
 * last mapping. file and tmpfs objects are extents (tags 2 and 3): the
 * slot holds the extent's page-aligned offset, from 4 KiB on (0 is NULL),
 * and freeing one punches a hole over it, which drops its pages. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ops.h"

#define PAGE 4096L
#define CHUNK (64L << 10) /* bytes per pwrite and pread */

/* The bytes every extent is written with; its first 8 hold the object's
 * size (ms_file_size), so that a slot need not. */
static const unsigned char pattern[CHUNK] = {[0 ... CHUNK - 1] = 0x5a};

/* The directories of the file and tmpfs backends, for the whole process. */
static char dirs[2][512] = {"/tmp", "/dev/shm"};
static int64_t names; /* names made by this process (shm objects, named files) */

struct ms_files {
	int fd[2];                 /* the engine's file and tmpfs file; -1 until the first object */
	int64_t end[2];            /* where the next extent starts */
	unsigned char buf[CHUNK];  /* the first chunk written (with the size), then each chunk read back */
};

int ms_files_set_dirs(const char *file_dir, const char *tmpfs_dir)
{
	if (strlen(file_dir) >= sizeof dirs[0] || strlen(tmpfs_dir) >= sizeof dirs[1])
		return ENAMETOOLONG;
	if (*file_dir)
		strcpy(dirs[0], file_dir);
	if (*tmpfs_dir)
		strcpy(dirs[1], tmpfs_dir);
	return 0;
}

int64_t ms_files_bytes(const ms_engine *e) { return e->files ? (int64_t)sizeof(struct ms_files) : 0; }

static int64_t page_round(int64_t n) { return (n + PAGE - 1) & ~(PAGE - 1); }

static void name_of(char *buf, size_t n, const char *dir)
{
	snprintf(buf, n, "%s/memstorm-%d-%lld", dir, (int)getpid(),
		 (long long)__atomic_fetch_add(&names, 1, __ATOMIC_RELAXED));
}

/* open_file opens backend k's file: unnamed, or named and unlinked at once. */
static int open_file(int k)
{
	int fd = open(dirs[k], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	char path[600];
	name_of(path, sizeof path, dirs[k]);
	fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static struct ms_files *files_of(ms_engine *e, int *err)
{
	if (!e->files) {
		void *p = mmap(NULL, sizeof(struct ms_files), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			*err = errno;
			return NULL;
		}
		e->files = p;
		e->files->fd[0] = e->files->fd[1] = -1;
	}
	return e->files;
}

/* put_extent writes size bytes at off (the first 8 being the size) and reads
 * them back; 0 or an errno. A short read or a byte that did not come back
 * is EIO. */
static int put_extent(struct ms_files *s, int fd, int64_t off, int64_t size)
{
	for (int64_t o = 0; o < size; o += CHUNK) {
		size_t n = (size_t)(size - o < CHUNK ? size - o : CHUNK);
		const void *src = pattern;
		if (o == 0) {
			memcpy(s->buf, pattern, n);
			memcpy(s->buf, &size, n < 8 ? n : 8);
			src = s->buf;
		}
		for (size_t done = 0; done < n;) {
			ssize_t w = pwrite(fd, (const char *)src + done, n - done, off + o + (int64_t)done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? errno : ENOSPC;
			done += (size_t)w;
		}
	}
	for (int64_t o = 0; o < size; o += CHUNK) {
		size_t n = (size_t)(size - o < CHUNK ? size - o : CHUNK);
		ssize_t r;
		while ((r = pread(fd, s->buf, n, off + o)) < 0 && errno == EINTR)
			;
		if (r < 0)
			return errno;
		if ((size_t)r != n || s->buf[n - 1] != 0x5a)
			return EIO;
	}
	return 0;
}

/* map_shared makes a memfd or shm object of size bytes and maps it. */
static void *map_shared(int via, int64_t size, int *err)
{
	int fd;
	if (via == MS_VIA_MEMFD) {
		fd = memfd_create("memstorm", MFD_CLOEXEC);
	} else {
		char name[64];
		snprintf(name, sizeof name, "/memstorm-%d-%lld", (int)getpid(),
			 (long long)__atomic_fetch_add(&names, 1, __ATOMIC_RELAXED));
		fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			shm_unlink(name);
	}
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	size_t len = (size_t)page_round(size);
	void *p = MAP_FAILED;
	if (ftruncate(fd, (off_t)len) == 0)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	*err = p == MAP_FAILED ? errno : 0;
	close(fd); /* the mapping keeps the object */
	return p == MAP_FAILED ? NULL : p;
}

void *ms_file_alloc(ms_engine *e, const ms_fill_spec *f, int64_t size, int *tag, int *err)
{
	*err = 0;
	if (f->via == MS_VIA_MEMFD || f->via == MS_VIA_SHM) {
		*tag = MS_TAG_MMAP;
		return map_shared(f->via, size, err);
	}
	if (f->via != MS_VIA_FILE && f->via != MS_VIA_TMPFS) {
		*err = EINVAL;
		return NULL;
	}
	int k = f->via == MS_VIA_TMPFS;
	struct ms_files *s = files_of(e, err);
	if (!s)
		return NULL;
	if (s->fd[k] < 0) {
		if ((s->fd[k] = open_file(k)) < 0) {
			*err = errno;
			return NULL;
		}
		s->end[k] = PAGE;
	}
	int64_t off = s->end[k];
	s->end[k] += page_round(size);
	*tag = k ? MS_TAG_TMPFS : MS_TAG_FILE;
	if ((*err = put_extent(s, s->fd[k], off, size)) != 0) {
		fallocate(s->fd[k], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, page_round(size));
		return NULL;
	}
	return (void *)(uintptr_t)off;
}

int64_t ms_file_size(const ms_engine *e, int tag, uint64_t off)
{
	int64_t size = 0;
	if (e->files && pread(e->files->fd[tag == MS_TAG_TMPFS], &size, 8, (off_t)off) != 8)
		size = 0;
	return size;
}

void ms_file_release(ms_engine *e, int tag, uint64_t off, int64_t size, int *err)
{
	int fd = e->files ? e->files->fd[tag == MS_TAG_TMPFS] : -1;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, page_round(size)) != 0 && !*err)
		*err = errno;
}

void ms_files_close(ms_engine *e)
{
	if (!e->files)
		return;
	for (int k = 0; k < 2; k++)
		if (e->files->fd[k] >= 0)
			close(e->files->fd[k]);
	munmap(e->files, sizeof(struct ms_files));
	e->files = NULL;
}
