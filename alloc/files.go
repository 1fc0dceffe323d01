package alloc

/*
#include <stdlib.h>
#include "ops.h"
*/
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

// The backends whose pages are files' pages (ops_file.c): what a memory
// cgroup charges as page cache or as shared memory rather than as
// anonymous memory.
const (
	// File writes each object with pwrite(2) to its own extent of a file on
	// a disk filesystem (the directory of SetFileDirs, /tmp by default)
	// and reads it back with pread(2): page cache, which the kernel can
	// write back and reclaim. Freeing punches a hole over the extent. The
	// file is never named (O_TMPFILE), or unlinked as soon as it is made.
	File Via = C.MS_VIA_FILE
	// Tmpfs does the same in a file on tmpfs (/dev/shm by default): shared
	// memory pages, which without swap cannot be reclaimed.
	Tmpfs Via = C.MS_VIA_TMPFS
	// Memfd maps a memfd_create(2) file of the object's size MAP_SHARED,
	// touched (Touch) and unmapped like an Mmap object.
	Memfd Via = C.MS_VIA_MEMFD
	// Shm does the same with a POSIX shared memory object (shm_open(3)),
	// unlinked right after it is opened.
	Shm Via = C.MS_VIA_SHM
)

// SetFileDirs sets, for the whole process, the directories of the File and
// Tmpfs backends' files; an empty string keeps the default (/tmp,
// /dev/shm). Engines that have made their file keep it.
func SetFileDirs(file, tmpfs string) error {
	cf, ct := C.CString(file), C.CString(tmpfs)
	defer C.free(unsafe.Pointer(cf))
	defer C.free(unsafe.Pointer(ct))
	if rc := C.ms_files_set_dirs(cf, ct); rc != 0 {
		return fmt.Errorf("alloc: file backend directories %q, %q: %w", file, tmpfs, syscall.Errno(rc))
	}
	return nil
}

// IsFileVia reports whether v is one of the backends of files' pages.
func IsFileVia(v Via) bool { return v == File || v == Tmpfs || v == Memfd || v == Shm }
