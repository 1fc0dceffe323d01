package scenarios

// The page keys of an allocate phase with via: mmap: how each mapping
// becomes resident (populate) and which pages it asks for (huge).

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
)

// HugeValues lists the values of huge.
var HugeValues = Enum[Huge]{Key: "huge", Values: []Value[Huge]{
	{HugeTHP, "madvise(MADV_HUGEPAGE): transparent huge pages unless the host's mode is never"},
	{HugeNoTHP, "madvise(MADV_NOHUGEPAGE): base pages even when the host's mode is always"},
}}

// pages checks the populate and huge keys of an allocate step at p.
func (c *checker) pages(a *Allocate, p string) error {
	for _, k := range []struct {
		key string
		set bool
	}{{"populate", a.Populate != ""}, {"huge", a.Huge != ""}} {
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
	return nil
}
