package procfs

import (
	"io"
)

// Meminfo is /proc/meminfo, sizes in bytes. Fields marked optional depend on
// the kernel's configuration and read as 0 when absent; the others are
// required and their absence is an error.
type Meminfo struct {
	MemTotal       int64
	MemFree        int64
	MemAvailable   int64 // the kernel's estimate of memory available without swapping
	Buffers        int64
	Cached         int64
	SwapCached     int64
	Active         int64
	Inactive       int64
	ActiveAnon     int64 // Active(anon)
	InactiveAnon   int64 // Inactive(anon)
	ActiveFile     int64 // Active(file)
	InactiveFile   int64 // Inactive(file)
	Unevictable    int64
	Mlocked        int64
	SwapTotal      int64
	SwapFree       int64
	Dirty          int64
	Writeback      int64
	AnonPages      int64
	Mapped         int64
	Shmem          int64
	Slab           int64
	SReclaimable   int64
	SUnreclaim     int64
	KernelStack    int64
	PageTables     int64
	CommitLimit    int64
	CommittedAS    int64 // Committed_AS
	AnonHugePages  int64 // optional (CONFIG_TRANSPARENT_HUGEPAGE)
	HugePagesTotal int64 // optional, a count of pages
	HugePagesFree  int64 // optional, a count of pages
	Hugepagesize   int64 // optional
}

var meminfoFields = newFieldSet("meminfo", []field[Meminfo]{
	{"MemTotal", kiB, true, func(m *Meminfo, v int64) { m.MemTotal = v }},
	{"MemFree", kiB, true, func(m *Meminfo, v int64) { m.MemFree = v }},
	{"MemAvailable", kiB, true, func(m *Meminfo, v int64) { m.MemAvailable = v }},
	{"Buffers", kiB, true, func(m *Meminfo, v int64) { m.Buffers = v }},
	{"Cached", kiB, true, func(m *Meminfo, v int64) { m.Cached = v }},
	{"SwapCached", kiB, true, func(m *Meminfo, v int64) { m.SwapCached = v }},
	{"Active", kiB, true, func(m *Meminfo, v int64) { m.Active = v }},
	{"Inactive", kiB, true, func(m *Meminfo, v int64) { m.Inactive = v }},
	{"Active(anon)", kiB, true, func(m *Meminfo, v int64) { m.ActiveAnon = v }},
	{"Inactive(anon)", kiB, true, func(m *Meminfo, v int64) { m.InactiveAnon = v }},
	{"Active(file)", kiB, true, func(m *Meminfo, v int64) { m.ActiveFile = v }},
	{"Inactive(file)", kiB, true, func(m *Meminfo, v int64) { m.InactiveFile = v }},
	{"Unevictable", kiB, true, func(m *Meminfo, v int64) { m.Unevictable = v }},
	{"Mlocked", kiB, true, func(m *Meminfo, v int64) { m.Mlocked = v }},
	{"SwapTotal", kiB, true, func(m *Meminfo, v int64) { m.SwapTotal = v }},
	{"SwapFree", kiB, true, func(m *Meminfo, v int64) { m.SwapFree = v }},
	{"Dirty", kiB, true, func(m *Meminfo, v int64) { m.Dirty = v }},
	{"Writeback", kiB, true, func(m *Meminfo, v int64) { m.Writeback = v }},
	{"AnonPages", kiB, true, func(m *Meminfo, v int64) { m.AnonPages = v }},
	{"Mapped", kiB, true, func(m *Meminfo, v int64) { m.Mapped = v }},
	{"Shmem", kiB, true, func(m *Meminfo, v int64) { m.Shmem = v }},
	{"Slab", kiB, true, func(m *Meminfo, v int64) { m.Slab = v }},
	{"SReclaimable", kiB, true, func(m *Meminfo, v int64) { m.SReclaimable = v }},
	{"SUnreclaim", kiB, true, func(m *Meminfo, v int64) { m.SUnreclaim = v }},
	{"KernelStack", kiB, true, func(m *Meminfo, v int64) { m.KernelStack = v }},
	{"PageTables", kiB, true, func(m *Meminfo, v int64) { m.PageTables = v }},
	{"CommitLimit", kiB, true, func(m *Meminfo, v int64) { m.CommitLimit = v }},
	{"Committed_AS", kiB, true, func(m *Meminfo, v int64) { m.CommittedAS = v }},
	{"AnonHugePages", kiB, false, func(m *Meminfo, v int64) { m.AnonHugePages = v }},
	{"HugePages_Total", count, false, func(m *Meminfo, v int64) { m.HugePagesTotal = v }},
	{"HugePages_Free", count, false, func(m *Meminfo, v int64) { m.HugePagesFree = v }},
	{"Hugepagesize", kiB, false, func(m *Meminfo, v int64) { m.Hugepagesize = v }},
})

// Meminfo reads <root>/meminfo.
func (fs FS) Meminfo() (Meminfo, error) {
	return readFile(fs.Path("meminfo"), ParseMeminfo)
}

// ParseMeminfo parses the text of /proc/meminfo.
func ParseMeminfo(r io.Reader) (Meminfo, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Meminfo{}, err
	}
	var m Meminfo
	err = meminfoFields.parse(b, &m)
	return m, err
}
