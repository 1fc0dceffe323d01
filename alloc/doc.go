// Package alloc is memstorm's allocation engine and heap introspection. It
// holds memstorm's cgo but for the sampling thread (package sample).
//
// An Engine allocates, frees and madvises through the real allocator that
// serves malloc in the process (glibc, or jemalloc/tcmalloc/mimalloc when
// LD_PRELOADed), and through raw mmap. A cgo call costs far more than a
// malloc+free pair, so every operation loop runs on the C side in batches: one
// Fill call allocates until a byte/count bound, an allocation failure or a
// time budget (clock read every 64 objects or 16 MiB).
//
// # Bookkeeping
//
// Live objects are tracked in allocation order in a slot array that lives in
// its own anonymous mapping (grown with mremap, never through the allocator
// under test, never on the Go heap), one 8-byte slot per object:
//
//	malloc family: bits 0..2 = 0 (free() backend), bits 3..47 = pointer,
//	               bits 48..63 = requested size if 1..65535, else 0 and the
//	               size is kept in the object's own first 8 bytes (>= 64 KiB)
//	mmap:          bits 0..2 = 1 (munmap backend), bits 12..47 = page-aligned
//	               pointer, size in bits 3..11 (low 9) and 48..63 (high 16)
//	               if below 32 MiB, else 0 and kept in the first 8 bytes
//
// So an untouched mmap object of 32 MiB or more still dirties its first page.
// Counters.BookkeepingBytes reports the 4 KiB control page plus the resident
// slot pages (8 bytes per live object rounded up to a page); pages past the
// live slots are given back after each Free. KeepOnePerPage needs a transient
// page set (mmap'd, unmapped before Free returns) that grows with the
// distinct pages the objects start on, not with the objects: 16 to 32 bytes
// per such page, at least 8 KiB; Counters.TransientPeakBytes reports it.
//
// # Measuring without disturbing
//
// Between phases a worker reads the heap (Heap), trims (Trim, TrimThread)
// and reads Counters. None of these calls malloc, calloc, realloc, free or
// the aligned variants, in any of glibc, jemalloc, tcmalloc and mimalloc: a
// test runs them under a counting LD_PRELOAD interposer
// (testdata/malloccount.c). One small allocation there would land on the
// measured heap; with glibc, one taken from the top chunk between a fill and
// its frees keeps free() from giving the heap back. Detect makes the one
// allocation (glibc: the FILE for malloc_info), before the first phase.
//
// Objects allocated Via Go live on the Go heap in a Go-side [][]byte and form
// a separate sequence: a Selection applies to the C-side objects and then,
// independently, to the Go-heap objects.
//
// The C code (the op stream in ops.h and ops_*.c, the introspection in
// introspect.c and elfsym.c) has no Go dependency, so a standalone C reference
// program (alloc/cref) compiles it as is. Detect looks the allocator's own
// functions up once in that library's dynamic symbol table (elfsym.c: no
// dlsym, whose misses allocate); Heap and Trim call them through the pointers
// it kept.
package alloc
