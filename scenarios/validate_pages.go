package scenarios

import (
	"maps"
	"slices"
)

// The page keys of an allocate phase with via: mmap: how each mapping
// becomes resident (populate), which pages it asks for (huge) and whether
// it is locked (lock); and the scenario's hugetlb block, the explicit huge
// pages it needs from the host's pool.

// Populate names how an mmap'd object becomes resident.
type Populate string

// Ways to populate, documented in PopulateValues.
const (
	PopulateWrite Populate = "write"
	PopulateMap   Populate = "map"
)

// PopulateValues lists the values of populate.
var PopulateValues = Enum[Populate]{Key: "populate", Values: []Value[Populate]{
	{PopulateWrite, "madvise(MADV_POPULATE_WRITE) on each mapping (Linux 5.14+; touching on an older kernel)"},
	{PopulateMap, "mmap(MAP_POPULATE)"},
}}

// Huge names the pages an mmap'd object asks for.
type Huge string

// Page kinds, documented in HugeValues.
const (
	HugeTHP   Huge = "thp"
	HugeNoTHP Huge = "no-thp"
	Huge2MiB  Huge = "2MiB"
	Huge1GiB  Huge = "1GiB"
)

// PageBytes is the size of one explicit huge page, 0 for thp and no-thp.
func (h Huge) PageBytes() int64 {
	switch h {
	case Huge2MiB:
		return 2 << 20
	case Huge1GiB:
		return 1 << 30
	}
	return 0
}

// HugeValues lists the values of huge.
var HugeValues = Enum[Huge]{Key: "huge", Values: []Value[Huge]{
	{HugeTHP, "madvise(MADV_HUGEPAGE): transparent huge pages unless the host's mode is never"},
	{HugeNoTHP, "madvise(MADV_NOHUGEPAGE): base pages even when the host's mode is always"},
	{Huge2MiB, "explicit 2 MiB pages from the hugetlb pool (MAP_HUGETLB); objects rounded up to whole pages; needs hugetlb"},
	{Huge1GiB, "explicit 1 GiB pages from the hugetlb pool (MAP_HUGETLB); objects rounded up to whole pages; needs hugetlb"},
}}

// pages checks the populate and huge keys of an allocate step at p.
func (c *checker) pages(a *Allocate, p string) error {
	for _, k := range []struct {
		key string
		set bool
	}{{"populate", a.Populate != ""}, {"huge", a.Huge != ""}, {"lock", a.Lock}} {
		if k.set && a.Via != ViaMmap {
			return c.errKey(childPath(p, k.key), "%s applies only to via: mmap, not %s", k.key, a.Via)
		}
	}
	if a.Populate != "" && !PopulateValues.Has(a.Populate) {
		return c.enum(childPath(p, "populate"), string(a.Populate), "populate "+PopulateValues.Want())
	}
	if a.Huge != "" && !HugeValues.Has(a.Huge) {
		return c.enum(childPath(p, "huge"), string(a.Huge), "huge "+HugeValues.Want())
	}
	if a.Huge.PageBytes() > 0 && c.pool[string(a.Huge)] < 1 {
		return c.errf(childPath(p, "huge"), "huge: %s takes pages from the host's hugetlb pool: state how many the scenario needs in hugetlb: {%s: N}", a.Huge, a.Huge)
	}
	return nil
}

// hugetlb checks the scenario's hugetlb block: page sizes it knows, at
// least one page each.
func (c *checker) hugetlb(s *Scenario) error {
	c.pool = s.HugeTLB
	for _, h := range slices.Sorted(maps.Keys(s.HugeTLB)) {
		n := s.HugeTLB[h]
		if Huge(h).PageBytes() == 0 {
			return c.errKey(childPath("hugetlb", h), "want a huge page size of %s or %s, got %q", Huge2MiB, Huge1GiB, h)
		}
		if n < 1 {
			return c.errf(childPath("hugetlb", h), "want at least 1 page, got %d", n)
		}
	}
	return nil
}

// hugetlbLimit checks limit.hugetlb: page sizes the pool block knows, each
// limit a whole number of pages (the kernel would round it down).
func (c *checker) hugetlbLimit(l *Limit) error {
	for _, h := range slices.Sorted(maps.Keys(l.HugeTLB)) {
		page, v := Huge(h).PageBytes(), l.HugeTLB[h]
		p := childPath(childPath("limit", "hugetlb"), h)
		if page == 0 {
			return c.errKey(p, "want a huge page size of %s or %s, got %q", Huge2MiB, Huge1GiB, h)
		}
		if int64(v)%page != 0 {
			return c.errf(p, "want a whole number of %s pages, got %v", h, v)
		}
	}
	return nil
}
