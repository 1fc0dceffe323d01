package alloc

import "sync"

var mallocCounter struct {
	once sync.Once
	ok   bool
}

// MallocCalls is how many calls to the malloc family (malloc, calloc,
// realloc, free, posix_memalign, aligned_alloc, memalign, valloc) the whole
// process has made, when it runs under memstorm's counting interposer
// (alloc/testdata/malloccount.c, LD_PRELOADed in front of the allocator);
// false without it. Reading the counts calls nothing that allocates, after
// the first call, which looks the interposer up.
func MallocCalls() (int64, bool) {
	mallocCounter.once.Do(func() { mallocCounter.ok = resolveMallocCounter() })
	if !mallocCounter.ok {
		return 0, false
	}
	m := readMallocCounts(false)
	var n uint64
	for _, v := range m[:8] {
		n += v
	}
	return int64(n), true
}
