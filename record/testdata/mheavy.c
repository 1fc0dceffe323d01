/* mheavy.c: malloc-heavy: THREADS threads, each ROUNDS (default 2M) rounds
 * of a ring of 1024 blocks, freeing and allocating one random-size block
 * per round.   mheavy [THREADS [ROUNDS]] */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
static int N = 2000000;
static void *work(void *arg)
{
	unsigned s = (unsigned)(size_t)arg * 2654435761u + 1;
	void *ring[1024] = {0};
	for (int i = 0; i < N; i++) {
		s = s * 1103515245u + 12345u;
		int k = (s >> 8) & 1023;
		free(ring[k]);
		ring[k] = malloc(16 + (s >> 16) % 2000);
		((char *)ring[k])[0] = 1;
	}
	for (int k = 0; k < 1024; k++) free(ring[k]);
	return NULL;
}
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	if (argc > 2)
		N = atoi(argv[2]);
	pthread_t t[64];
	for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, work, (void *)(size_t)i);
	for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
	return 0;
}
