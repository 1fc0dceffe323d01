package stress

import (
	"os"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/report"
)

// sampler takes one report.Sample of the worker: /proc/<pid>/status and
// stat every time (cheap counters), smaps_rollup only every smapsEvery-th
// sample (it walks the page tables, so its cost grows with RSS: at 1 GiB of
// 4 KiB pages it costs more than everything else together), memory PSI every
// psiEvery-th (its avg10 is a 10-second average: reading it faster tells
// nothing new), the worker's counters from the status page and the cgroup
// usage with one pread. Buffers are reused: sampling allocates nothing.
type sampler struct {
	proc  *procfs.ProcessReader
	page  *statusPage
	steps []Step
	usage *os.File // cgroup usage file, nil without a cgroup
	psi   func() (float64, bool)

	smapsEvery, psiEvery int
	n                    int

	status procfs.Status
	stat   procfs.Stat
	smaps  procfs.SmapsRollup
	psiVal float64
	buf    []byte
}

const (
	defaultSmapsEvery = 10
	defaultPSIEvery   = 25
)

// take reads everything for time t. A read error of the worker's /proc
// files means the worker is gone; the caller stops sampling.
func (s *sampler) take(t float64) (report.Sample, error) {
	if err := s.proc.Status(&s.status); err != nil {
		return report.Sample{}, err
	}
	if err := s.proc.Stat(&s.stat); err != nil {
		return report.Sample{}, err
	}
	if s.n%s.smapsEvery == 0 {
		if err := s.proc.SmapsRollup(&s.smaps); err != nil {
			return report.Sample{}, err
		}
	}
	if s.psi != nil && s.n%s.psiEvery == 0 {
		if v, ok := s.psi(); ok {
			s.psiVal = v
		} else {
			s.psiVal = -1
		}
	}
	s.n++
	tot := s.page.totals()
	h := s.page.heap()
	smp := report.Sample{
		T:            t,
		Phase:        s.phaseName(),
		RSS:          s.status.VmRSS,
		Anon:         s.status.RssAnon,
		File:         s.status.RssFile,
		Shmem:        s.status.RssShmem,
		Swap:         s.status.VmSwap,
		AnonHuge:     s.smaps.AnonHugePages,
		LazyFree:     s.smaps.LazyFree,
		MinFlt:       int64(s.stat.MinFlt),
		MajFlt:       int64(s.stat.MajFlt),
		Live:         tot.Live,
		LiveObjects:  tot.Objects,
		AllocBytes:   tot.AllocBytes,
		FreeBytes:    tot.FreeBytes,
		HeapInuse:    h.InUse,
		HeapHeld:     h.Held,
		HeapRetained: h.Retained,
		CgroupUsage:  report.Absent,
		PSISomeAvg10: s.psiVal,
	}
	if s.psi == nil {
		smp.PSISomeAvg10 = -1
	}
	if s.usage != nil {
		if u, err := readUsage(s.usage, s.buf); err == nil {
			smp.CgroupUsage = u
		}
	}
	return smp, nil
}

func (s *sampler) phaseName() string {
	i := int(s.page.load(hdrStep))
	if i < 0 || i >= len(s.steps) {
		return ""
	}
	return s.steps[i].Name
}
