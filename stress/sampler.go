package stress

import (
	"os"
	"time"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/report"
)

// sampler takes one report.Sample of the worker: /proc/<pid>/status and
// stat every time (cheap counters: about 8 and 4 µs), the worker's counters
// from the status page, the cgroup usage with one pread, memory PSI every
// psiEvery-th sample (its avg10 is a 10-second average: reading it faster
// tells nothing new), and smaps_rollup (AnonHugePages, LazyFree) only as
// often as its cost allows: it walks the page tables, about 16 µs per MiB
// resident here, so at 1 GiB it costs 16 ms. Its interval adapts so that it
// takes at most smapsBudget of a core; between reads the last values are
// carried, and phase ends always read it. Buffers are reused: sampling
// allocates nothing.
type sampler struct {
	proc  *procfs.ProcessReader
	page  *statusPage
	steps []Step
	usage *os.File // cgroup usage file, nil without a cgroup
	psi   func() (float64, bool)

	psiEvery  int
	n         int
	nextSmaps time.Time

	status procfs.Status
	stat   procfs.Stat
	smaps  procfs.SmapsRollup
	psiVal float64
	buf    []byte
}

const (
	defaultPSIEvery = 25
	// smapsBudget is the share of one core smaps_rollup may take.
	smapsBudget = 0.002
)

// take reads everything for time t; force reads smaps_rollup whatever its
// budget says. A read error of the worker's /proc files means the worker is
// gone; the caller stops sampling.
func (s *sampler) take(t float64, force bool) (report.Sample, error) {
	if err := s.proc.Status(&s.status); err != nil {
		return report.Sample{}, err
	}
	if err := s.proc.Stat(&s.stat); err != nil {
		return report.Sample{}, err
	}
	if now := time.Now(); force || !now.Before(s.nextSmaps) {
		if err := s.proc.SmapsRollup(&s.smaps); err != nil {
			return report.Sample{}, err
		}
		cost := time.Since(now)
		s.nextSmaps = now.Add(time.Duration(float64(cost) / smapsBudget))
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
