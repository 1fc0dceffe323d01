package alloc

/*
#include "introspect.h"
*/
import "C"

import (
	"sync"
)

// Allocator names the allocator that really serves malloc in this process.
type Allocator struct {
	// Name is glibc, jemalloc, tcmalloc, mimalloc or unknown.
	Name string
	// Version as the allocator reports it ("2.36", "5.3.0-0-g54eaed1...",
	// "gperftools 2.10", "2.0.9"); empty when it does not tell.
	Version string
	// Path is the shared object that defines the malloc symbol in use.
	Path string
}

// Allocator names.
const (
	NameGlibc    = "glibc"
	NameJemalloc = "jemalloc"
	NameTcmalloc = "tcmalloc"
	NameMimalloc = "mimalloc"
	NameUnknown  = "unknown"
)

var kindNames = map[C.int]string{
	C.MS_ALLOC_GLIBC: NameGlibc, C.MS_ALLOC_JEMALLOC: NameJemalloc,
	C.MS_ALLOC_TCMALLOC: NameTcmalloc, C.MS_ALLOC_MIMALLOC: NameMimalloc,
}

func kindOf(name string) C.int {
	for k, n := range kindNames {
		if n == name {
			return k
		}
	}
	return C.MS_ALLOC_UNKNOWN
}

var detected = sync.OnceValue(func() Allocator {
	var path [4096]C.char
	var ver [256]C.char
	k := C.ms_detect(&path[0], C.size_t(len(path)), &ver[0], C.size_t(len(ver)))
	a := Allocator{Name: NameUnknown, Path: C.GoString(&path[0]), Version: C.GoString(&ver[0])}
	if n, ok := kindNames[k]; ok {
		a.Name = n
	}
	return a
})

// Detect reports which allocator serves malloc: the library holding the malloc
// symbol the dynamic linker resolved, or, when that library exports
// memstorm_interposer (a forwarding LD_PRELOAD such as the tests' malloc
// counter), the next library defining malloc. Allocator-specific symbols that
// library itself defines (mallctl, tc_version or MallocExtension_*,
// mi_version, gnu_get_libc_version) name it and give the version; they are
// read from its dynamic symbol table, and the functions Heap and Trim need are
// kept. The result is computed once; the allocator cannot change during a
// process lifetime. Under glibc it makes the one allocation of this package's
// introspection: the FILE that malloc_info writes to (see Heap).
func Detect() Allocator { return detected() }
