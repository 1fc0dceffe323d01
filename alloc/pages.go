package alloc

/*
#include "ops.h"
*/
import "C"

import "fmt"

// Populate says how an mmap'd object becomes resident (FillSpec.Populate).
type Populate int

// Ways to make mmap'd objects resident.
const (
	// PopulateNone leaves it to FillSpec.Touch (one fault per 4 KiB page).
	PopulateNone Populate = C.MS_POP_NONE
	// PopulateWrite calls madvise(MADV_POPULATE_WRITE) on each object
	// (Linux 5.14+): the kernel faults the whole range in one call, as if
	// written. On an older kernel (EINVAL) the engine touches instead.
	PopulateWrite Populate = C.MS_POP_WRITE
	// PopulateMap maps with MAP_POPULATE.
	PopulateMap Populate = C.MS_POP_MAP
)

// Huge says which pages an mmap'd object asks for (FillSpec.Huge).
type Huge int

// Page kinds.
const (
	// HugeDefault follows the host's transparent huge page mode.
	HugeDefault Huge = C.MS_HUGE_DEFAULT
	// HugeTHP advises MADV_HUGEPAGE: transparent huge pages whatever the
	// host's mode, unless it is "never".
	HugeTHP Huge = C.MS_HUGE_THP
	// HugeNoTHP advises MADV_NOHUGEPAGE: base pages even in "always" mode.
	HugeNoTHP Huge = C.MS_HUGE_NOTHP
	// HugeTLB2M and HugeTLB1G map explicit huge pages from the hugetlb
	// pool (MAP_HUGETLB) of 2 MiB or 1 GiB; each object's size is rounded
	// up to whole pages. The pages are reserved at mmap: a pool too small
	// fails the fill (ENOMEM); a hugetlb cgroup limit is met at the first
	// write of a page, as SIGBUS.
	HugeTLB2M Huge = C.MS_HUGE_2M
	HugeTLB1G Huge = C.MS_HUGE_1G
)

// PageBytes is the size of one explicit huge page of h, 0 for the others.
func (h Huge) PageBytes() int64 {
	switch h {
	case HugeTLB2M:
		return 2 << 20
	case HugeTLB1G:
		return 1 << 30
	}
	return 0
}

// checkPages checks the mmap-only fields of spec.
func (spec FillSpec) checkPages() error {
	if spec.Populate < PopulateNone || spec.Populate > PopulateMap {
		return fmt.Errorf("alloc: fill: unknown Populate %d", int(spec.Populate))
	}
	if spec.Huge < HugeDefault || spec.Huge > HugeTLB1G {
		return fmt.Errorf("alloc: fill: unknown Huge %d", int(spec.Huge))
	}
	if spec.Via != Mmap && (spec.Populate != PopulateNone || spec.Huge != HugeDefault || spec.Lock) {
		return fmt.Errorf("alloc: fill: Populate, Huge and Lock apply to via mmap only, not %v", spec.Via)
	}
	return nil
}

// PopulateCounts says how the objects filled with PopulateWrite became
// resident: by the advice, or by touching (a kernel without it).
func (e *Engine) PopulateCounts() (populated, touched int64) {
	if e.ce == nil {
		return 0, 0
	}
	return int64(e.ce.pop.populated), int64(e.ce.pop.touched)
}
