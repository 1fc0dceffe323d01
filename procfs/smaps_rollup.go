package procfs

import (
	"io"
)

// SmapsRollup is /proc/<pid>/smaps_rollup: the sums of /proc/<pid>/smaps over
// every mapping, in bytes. Unlike status it walks the page tables, so its
// cost grows with the resident size (see BenchmarkSmapsRollupByRSS).
type SmapsRollup struct {
	Rss            int64
	Pss            int64 // proportional set size: shared pages divided among sharers
	PssDirty       int64 // optional fields: absent on older kernels read as 0
	PssAnon        int64 // optional, as are PssFile and PssShmem
	PssFile        int64
	PssShmem       int64
	SharedClean    int64
	SharedDirty    int64
	PrivateClean   int64
	PrivateDirty   int64
	Referenced     int64
	Anonymous      int64
	KSM            int64 // optional
	LazyFree       int64 // MADV_FREE'd, reclaimable without swap
	AnonHugePages  int64 // THP-backed anonymous memory
	ShmemPmdMapped int64
	FilePmdMapped  int64
	SharedHugetlb  int64
	PrivateHugetlb int64
	Swap           int64
	SwapPss        int64
	Locked         int64
}

var smapsRollupFields = newFieldSet("smaps_rollup", []field[SmapsRollup]{
	{"Rss", kiB, true, func(s *SmapsRollup, v int64) { s.Rss = v }},
	{"Pss", kiB, true, func(s *SmapsRollup, v int64) { s.Pss = v }},
	{"Pss_Dirty", kiB, false, func(s *SmapsRollup, v int64) { s.PssDirty = v }},
	{"Pss_Anon", kiB, false, func(s *SmapsRollup, v int64) { s.PssAnon = v }},
	{"Pss_File", kiB, false, func(s *SmapsRollup, v int64) { s.PssFile = v }},
	{"Pss_Shmem", kiB, false, func(s *SmapsRollup, v int64) { s.PssShmem = v }},
	{"Shared_Clean", kiB, true, func(s *SmapsRollup, v int64) { s.SharedClean = v }},
	{"Shared_Dirty", kiB, true, func(s *SmapsRollup, v int64) { s.SharedDirty = v }},
	{"Private_Clean", kiB, true, func(s *SmapsRollup, v int64) { s.PrivateClean = v }},
	{"Private_Dirty", kiB, true, func(s *SmapsRollup, v int64) { s.PrivateDirty = v }},
	{"Referenced", kiB, true, func(s *SmapsRollup, v int64) { s.Referenced = v }},
	{"Anonymous", kiB, true, func(s *SmapsRollup, v int64) { s.Anonymous = v }},
	{"KSM", kiB, false, func(s *SmapsRollup, v int64) { s.KSM = v }},
	{"LazyFree", kiB, true, func(s *SmapsRollup, v int64) { s.LazyFree = v }},
	{"AnonHugePages", kiB, true, func(s *SmapsRollup, v int64) { s.AnonHugePages = v }},
	{"ShmemPmdMapped", kiB, false, func(s *SmapsRollup, v int64) { s.ShmemPmdMapped = v }},
	{"FilePmdMapped", kiB, false, func(s *SmapsRollup, v int64) { s.FilePmdMapped = v }},
	{"Shared_Hugetlb", kiB, true, func(s *SmapsRollup, v int64) { s.SharedHugetlb = v }},
	{"Private_Hugetlb", kiB, true, func(s *SmapsRollup, v int64) { s.PrivateHugetlb = v }},
	{"Swap", kiB, true, func(s *SmapsRollup, v int64) { s.Swap = v }},
	{"SwapPss", kiB, true, func(s *SmapsRollup, v int64) { s.SwapPss = v }},
	{"Locked", kiB, true, func(s *SmapsRollup, v int64) { s.Locked = v }},
})

// SmapsRollup reads /proc/<pid>/smaps_rollup (Linux 4.14+).
func (p Proc) SmapsRollup() (SmapsRollup, error) {
	return readFile(p.Path("smaps_rollup"), ParseSmapsRollup)
}

// ParseSmapsRollup parses the text of /proc/<pid>/smaps_rollup. An empty
// file is what the kernel shows for a process without memory (exited, or a
// kernel thread) and yields ErrProcessGone.
func ParseSmapsRollup(r io.Reader) (SmapsRollup, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return SmapsRollup{}, goneIfESRCH(err)
	}
	var s SmapsRollup
	err = parseSmapsRollup(b, &s)
	return s, err
}

// parseSmapsRollup is the allocation-free parser behind ParseSmapsRollup and
// ProcessReader.SmapsRollup.
func parseSmapsRollup(b []byte, s *SmapsRollup) error {
	*s = SmapsRollup{}
	if len(b) == 0 {
		return ErrProcessGone
	}
	return smapsRollupFields.parse(b, s)
}
