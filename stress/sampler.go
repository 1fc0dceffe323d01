package stress

import (
	"fmt"
	"os"
	"time"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/sample"
)

// sampler turns the records of the C sampling thread (package sample:
// /proc/<pid>/status and stat, the cgroup usage and the worker's status
// page, read at every sample interval) into report samples, and adds what
// is too dear to read every time:
//
//   - smaps_rollup (AnonHugePages, LazyFree) walks the page tables, about
//     16 µs per MiB resident here, 16 ms at 1 GiB; it is read as often as
//     smapsBudget of a core allows, and at every phase end; between reads
//     the last values are carried;
//   - memory PSI "some avg10" is a 10-second average: read every psiEvery.
type sampler struct {
	th           *sample.Thread
	status, stat *os.File
	proc  *procfs.ProcessReader // smaps_rollup only
	steps []Step
	psi   func() (float64, bool)

	nextSmaps, nextPSI time.Time
	smaps              procfs.SmapsRollup
	psiVal             float64
	raws               []sample.Raw
}

const (
	// smapsBudget is the share of one core smaps_rollup may take.
	smapsBudget = 0.002
	psiEvery    = 500 * time.Millisecond
	// drainEvery is how often the supervisor collects the thread's records.
	drainEvery = 250 * time.Millisecond
)

// newSampler opens the worker's /proc files and starts the sampling thread.
func newSampler(pid int, page *statusPage, usage *os.File, steps []Step, startNs int64, every time.Duration, psi func() (float64, bool)) (*sampler, error) {
	proc, err := procfs.DefaultFS.NewProcessReader(pid)
	if err != nil {
		return nil, fmt.Errorf("opening /proc/%d of the worker: %w", pid, err)
	}
	dir := procfs.DefaultFS.Proc(pid)
	status, err := os.Open(dir.Path("status"))
	if err != nil {
		proc.Close()
		return nil, fmt.Errorf("opening the worker's status: %w", err)
	}
	stat, err := os.Open(dir.Path("stat"))
	if err != nil {
		proc.Close()
		status.Close()
		return nil, fmt.Errorf("opening the worker's stat: %w", err)
	}
	th, err := sample.New(sample.Source{Status: status, Stat: stat, Usage: usage, Page: page.mem, Blocks: page.n}, startNs, every)
	if err != nil {
		proc.Close()
		status.Close()
		stat.Close()
		return nil, err
	}
	return &sampler{th: th, status: status, stat: stat, proc: proc, steps: steps, psi: psi, psiVal: -1}, nil
}

func (s *sampler) start() error { return s.th.Start() }

// collect hands emit the samples recorded since the last call, in time
// order; with force it also takes one now (a phase boundary), reading
// smaps_rollup whatever its budget says.
func (s *sampler) collect(force bool, emit func(report.Sample)) {
	s.raws = s.th.Drain(s.raws[:0])
	s.refresh(force)
	for i := range s.raws {
		emit(s.convert(&s.raws[i]))
	}
	if force {
		if r, ok := s.th.Once(); ok {
			emit(s.convert(&r))
		}
	}
}

// refresh reads smaps_rollup and PSI when they are due.
func (s *sampler) refresh(force bool) {
	now := time.Now()
	if force || !now.Before(s.nextSmaps) {
		if err := s.proc.SmapsRollup(&s.smaps); err == nil {
			s.nextSmaps = now.Add(time.Duration(float64(time.Since(now)) / smapsBudget))
		}
	}
	if s.psi != nil && !now.Before(s.nextPSI) {
		s.psiVal = -1
		if v, ok := s.psi(); ok {
			s.psiVal = v
		}
		s.nextPSI = now.Add(psiEvery)
	}
}

// The worker's alloc.Counters words, summed over its threads, and the
// status page header words, as the record carries them.
const (
	sumLive = iota
	sumObjects
	sumAllocBytes
	sumFreeBytes
)

func (s *sampler) convert(r *sample.Raw) report.Sample {
	v := report.Sample{
		T:            r.T.Seconds(),
		Phase:        s.phaseName(r.Header[hdrStep]),
		RSS:          r.RSS,
		Anon:         r.Anon,
		File:         r.File,
		Shmem:        r.Shmem,
		Swap:         r.Swap,
		AnonHuge:     s.smaps.AnonHugePages,
		LazyFree:     s.smaps.LazyFree,
		MinFlt:       r.MinFlt,
		MajFlt:       r.MajFlt,
		Live:         r.Sums[sumLive],
		LiveObjects:  r.Sums[sumObjects],
		AllocBytes:   r.Sums[sumAllocBytes],
		FreeBytes:    r.Sums[sumFreeBytes],
		HeapInuse:    r.Header[hdrHeapInuse],
		HeapHeld:     r.Header[hdrHeapHeld],
		HeapRetained: r.Header[hdrHeapRetained],
		CgroupUsage:  r.Usage,
		PSISomeAvg10: s.psiVal,
	}
	if v.CgroupUsage < 0 {
		v.CgroupUsage = report.Absent
	}
	return v
}

func (s *sampler) phaseName(step int64) string {
	if step < 0 || step >= int64(len(s.steps)) {
		return ""
	}
	return s.steps[step].Name
}

// stop collects the last records, stops the thread and closes the files.
func (s *sampler) stop(emit func(report.Sample)) {
	s.collect(false, emit)
	s.th.Stop()
	s.proc.Close()
	s.status.Close()
	s.stat.Close()
}
