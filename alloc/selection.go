package alloc

/*
#include "ops.h"
*/
import "C"

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Pattern chooses which live objects a Free or Madvise applies to. Objects
// are visited in allocation order (oldest first); "n" below is the number of
// objects visited: all C-side live objects for Free, the live mmap objects
// for Madvise, and separately the Go-heap objects (see Via Go).
type Pattern int

// Selection patterns.
const (
	// All selects every object.
	All Pattern = C.MS_SEL_ALL
	// EveryNth selects objects N-1, 2N-1, ... (0-based, allocation order):
	// exactly floor(n/N). N=2 is "every other"; N=1 is All.
	EveryNth Pattern = C.MS_SEL_EVERY_NTH
	// KeepOnePerPage keeps, for every 4 KiB page, the first object (in
	// allocation order) that starts on it and selects all others: the classic
	// fragmentation pattern that pins every page with one small object.
	KeepOnePerPage Pattern = C.MS_SEL_KEEP_ONE_PER_PAGE
	// Random selects exactly round(Fraction*n) objects, uniformly, from a
	// PRNG seeded with Seed (reproducible).
	Random Pattern = C.MS_SEL_RANDOM
	// Oldest selects the first round(Fraction*n) objects.
	Oldest Pattern = C.MS_SEL_OLDEST
	// Newest selects the last round(Fraction*n) objects.
	Newest Pattern = C.MS_SEL_NEWEST
	// LargerThan selects objects whose requested size is > Size.
	LargerThan Pattern = C.MS_SEL_LARGER
	// SmallerThan selects objects whose requested size is < Size.
	SmallerThan Pattern = C.MS_SEL_SMALLER
)

// String returns a short lower-case name for logs and reports.
func (p Pattern) String() string {
	switch p {
	case All:
		return "all"
	case EveryNth:
		return "every-nth"
	case KeepOnePerPage:
		return "keep-one-per-page"
	case Random:
		return "random"
	case Oldest:
		return "oldest"
	case Newest:
		return "newest"
	case LargerThan:
		return "larger-than"
	case SmallerThan:
		return "smaller-than"
	}
	return fmt.Sprintf("Pattern(%d)", int(p))
}

// Selection is a Pattern with its parameter; fields a pattern does not use are ignored.
type Selection struct {
	Pattern  Pattern
	N        int64   // EveryNth: >= 1
	Fraction float64 // Random, Oldest, Newest: 0..1
	Seed     uint64  // Random
	Size     int64   // LargerThan, SmallerThan: bytes
	// Last, when above 0, narrows the candidates to the newest Last objects
	// of each sequence (C-side and Go-heap counted apart); older objects are
	// kept whatever the pattern, and fractions count within the window. It is
	// how "every other object of the last fill" is said.
	Last int64
}

func (s Selection) compile() (C.ms_selection, error) {
	cs := C.ms_selection{pattern: C.int(s.Pattern), n: C.int64_t(s.N), fraction: C.double(s.Fraction),
		seed: C.uint64_t(s.Seed), size: C.int64_t(s.Size), last: C.int64_t(s.Last)}
	if s.Last < 0 {
		return cs, fmt.Errorf("alloc: selection %v: Last %d < 0", s.Pattern, s.Last)
	}
	switch s.Pattern {
	case All, KeepOnePerPage:
	case EveryNth:
		if s.N < 1 {
			return cs, fmt.Errorf("alloc: selection %v: N %d < 1", s.Pattern, s.N)
		}
	case Random, Oldest, Newest:
		if !(s.Fraction >= 0 && s.Fraction <= 1) {
			return cs, fmt.Errorf("alloc: selection %v: Fraction %g outside 0..1", s.Pattern, s.Fraction)
		}
	case LargerThan, SmallerThan:
		if s.Size < 0 {
			return cs, fmt.Errorf("alloc: selection %v: Size %d < 0", s.Pattern, s.Size)
		}
	default:
		return cs, fmt.Errorf("alloc: unknown selection pattern %d", int(s.Pattern))
	}
	return cs, nil
}

// Advice is the madvise(2) advice Madvise applies.
type Advice int

// Advices; their values are the kernel's MADV_* numbers.
const (
	// AdviceDontneed drops the pages now; the next touch reads zeros.
	AdviceDontneed Advice = unix.MADV_DONTNEED
	// AdviceFree lets the kernel reclaim the pages lazily, under pressure.
	AdviceFree Advice = unix.MADV_FREE
	// AdviceCold deactivates the pages (Linux 5.4+).
	AdviceCold Advice = unix.MADV_COLD
	// AdvicePageout reclaims the pages now, to swap if any (Linux 5.4+).
	AdvicePageout Advice = unix.MADV_PAGEOUT
)

// String returns a short lower-case name for logs and reports.
func (a Advice) String() string {
	switch a {
	case AdviceDontneed:
		return "dontneed"
	case AdviceFree:
		return "free"
	case AdviceCold:
		return "cold"
	case AdvicePageout:
		return "pageout"
	}
	return fmt.Sprintf("Advice(%d)", int(a))
}
