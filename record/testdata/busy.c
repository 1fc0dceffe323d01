/* busy.c: a program for the recording tests. Thread 0 allocates 1000
 * blocks with every call of the malloc family; a second thread frees them
 * (cross-thread frees); a forked child allocates blocks of 77777 bytes that
 * must not appear in the trace; 10 blocks are never freed. */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void *blocks[1000];

static void *freer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		free(blocks[i]);
	return NULL;
}

int main(void)
{
	for (int i = 0; i < 1000; i++) {
		switch (i % 5) {
		case 0: blocks[i] = malloc(100 + i); break;
		case 1: blocks[i] = calloc(3, 100 + i); break;
		case 2: if (posix_memalign(&blocks[i], 64, 100 + i) != 0) return 1; break;
		case 3: blocks[i] = aligned_alloc(4096, 4096); break;
		case 4: blocks[i] = realloc(malloc(10), 100 + i); break;
		}
		if (blocks[i] == NULL)
			return 1;
		memset(blocks[i], 1, 100);
	}
	pthread_t t;
	if (pthread_create(&t, NULL, freer, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	memset(m, 1, 1 << 20);
	munmap(m, 1 << 20);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 20; i++)
			memset(malloc(77777), 1, 77777);
		_exit(0);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 1;
	for (int i = 0; i < 10; i++)
		memset(malloc(5000), 1, 5000); /* live at exit */
	return 0;
}
