package stress

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/sample"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/wire"
)

// sampler turns the records of the C sampling thread (package sample:
// /proc/<pid>/statm, the cgroup usage and the worker's status page at every
// sample interval, stat and status every sample.SlowEvery) into report
// samples, and adds what is too dear to read every time:
//
//   - smaps_rollup (AnonHugePages, LazyFree) walks the page tables, about
//     16 µs per MiB resident here, 16 ms at 1 GiB; it is read as often as
//     smapsBudget of a core allows, and at every phase end; between reads
//     the last values are carried. In a cgroup made for the run (which
//     holds only the workers) AnonHugePages is the cgroup's memory.stat
//     instead (v1 total_rss_huge, v2 anon_thp), read by the thread with
//     its page cache every 10 ms (2 ms near the limit), and smaps_rollup
//     is read only for LazyFree where something can make lazily freed
//     pages (see useCgroupTHP);
//   - memory PSI "some avg10" is a 10-second average: read every psiEvery.
type sampler struct {
	th    *sample.Thread
	files []*os.File              // the statm, stat and status files the thread reads
	procs []*procfs.ProcessReader // smaps_rollup only
	steps []scenarios.Step
	psi   func() (float64, bool)

	nextSmaps, nextPSI time.Time
	smaps              procfs.SmapsRollup
	heapSeq            int64 // the heap reporter's refresh count at the last sample that carried its figures
	psiVal             float64
	raws               []sample.Raw
	cgTHP              bool   // AnonHuge from the cgroup's memory.stat (useCgroupTHP)
	smapsOff           bool   // no smaps_rollup: cgTHP, and no LazyFree to read
	flush              func() // after each collect's emits, if set
}

const (
	// smapsBudget is the share of one core smaps_rollup may take.
	smapsBudget = 0.001
	psiEvery    = 500 * time.Millisecond
	// drainEvery is how often the supervisor collects the thread's records.
	drainEvery = 250 * time.Millisecond
)

// newSampler opens the /proc files of the worker processes and prepares
// the sampling thread, which sums their figures; limit (bytes, 0 without)
// lets the thread sample faster near it.
func newSampler(proc procfs.FS, procs []*workerProc, usage, swap *os.File, swapMemsw bool, memstat *os.File, memstatV1 bool, limit int64, steps []scenarios.Step, startNs int64, every time.Duration, psi func() (float64, bool)) (*sampler, error) {
	s := &sampler{steps: steps, psi: psi, psiVal: -1}
	src := sample.Source{Usage: usage, Swap: swap, SwapMemsw: swapMemsw, MemStat: memstat, MemStatV1: memstatV1, Limit: limit}
	for _, p := range procs {
		pid := p.cmd.Process.Pid
		dir := proc.Proc(pid)
		var files [3]*os.File
		for i, name := range [...]string{"statm", "stat", "status"} {
			f, err := os.Open(dir.Path(name))
			if err != nil {
				s.closeFiles()
				return nil, fmt.Errorf("opening the %s of worker %d: %w", name, pid, err)
			}
			s.files = append(s.files, f)
			files[i] = f
		}
		reader, err := proc.NewProcessReader(pid)
		if err != nil {
			s.closeFiles()
			return nil, fmt.Errorf("opening /proc/%d of the worker: %w", pid, err)
		}
		s.procs = append(s.procs, reader)
		src.Procs = append(src.Procs, sample.Proc{Statm: files[0], Stat: files[1], Status: files[2], Page: p.page.Mem(), Blocks: p.page.Threads()})
	}
	th, err := sample.New(src, startNs, every)
	if err != nil {
		s.closeFiles()
		return nil, err
	}
	s.th = th
	return s, nil
}

func (s *sampler) closeFiles() {
	for _, f := range s.files {
		f.Close()
	}
	for _, r := range s.procs {
		r.Close()
	}
}

func (s *sampler) start() error { return s.th.Start() }

// collect hands emit the samples recorded since the last call, in time
// order; with force it also takes one now (a phase boundary), reading
// smaps_rollup whatever its budget says.
func (s *sampler) collect(force bool, emit func(rundir.Sample)) {
	s.raws = s.th.Drain(s.raws[:0])
	s.refresh(force)
	if force {
		// The thread may record between the drain and this sample: drain
		// again after it, and emit all in time order, so that samples.csv
		// never goes back in time.
		if r, ok := s.th.Once(); ok {
			s.raws = s.th.Drain(s.raws)
			s.raws = append(s.raws, r)
			slices.SortStableFunc(s.raws, func(a, b sample.Raw) int { return cmp.Compare(a.T, b.T) })
		}
	}
	for i := range s.raws {
		emit(s.convert(&s.raws[i]))
	}
	if s.flush != nil && len(s.raws) > 0 {
		s.flush()
	}
}

// useCgroupTHP makes the samples' AnonHuge the cgroup's memory.stat
// anon THP, where the cgroup was made for the run and its memory.stat is
// read (child): the workers' AnonHugePages, summed by the kernel, with no
// page table walk. smaps_rollup is then still read for LazyFree unless
// nothing in the run can make lazily freed pages: only madvise free,
// a replayed trace, and allocators other than glibc (jemalloc's and
// mimalloc's purging) use MADV_FREE.
func (s *sampler) useCgroupTHP(child bool, steps []scenarios.Step, allocator string) {
	if !child {
		return
	}
	s.cgTHP = true
	lazy := allocator != "" && allocator != allocators.Glibc
	for _, st := range steps {
		if m := st.Phase.Madvise; (m != nil && m.Advice == scenarios.AdviceFree) || st.Phase.Replay != nil {
			lazy = true
		}
	}
	s.smapsOff = !lazy
}

// refresh reads smaps_rollup and PSI when they are due.
func (s *sampler) refresh(force bool) {
	now := time.Now()
	if !s.smapsOff && (force || !now.Before(s.nextSmaps)) {
		// The sum over the worker processes still alive.
		var sum, one procfs.SmapsRollup
		for _, r := range s.procs {
			if r.SmapsRollup(&one) == nil {
				sum.AnonHugePages += one.AnonHugePages
				sum.LazyFree += one.LazyFree
			}
		}
		s.smaps = sum
		s.nextSmaps = now.Add(time.Duration(float64(time.Since(now)) / smapsBudget))
	}
	if s.psi != nil && !now.Before(s.nextPSI) {
		s.psiVal = -1
		if v, ok := s.psi(); ok {
			s.psiVal = v
		}
		s.nextPSI = now.Add(psiEvery)
	}
}

func (s *sampler) convert(r *sample.Raw) rundir.Sample {
	v := rundir.Sample{
		T:            r.T.Seconds(),
		Phase:        s.phaseName(r.Header[wire.HdrStep]),
		RSS:          r.RSS,
		Anon:         r.Anon,
		File:         r.File,
		Shmem:        r.Shmem,
		Swap:         r.Swap,
		Locked:       r.Locked,
		HugeTLB:      r.HugeTLB,
		AnonHuge:     s.smaps.AnonHugePages,
		LazyFree:     s.smaps.LazyFree,
		MinFlt:       r.MinFlt,
		MajFlt:       r.MajFlt,
		Live:         r.Sums[wire.BlockLive],
		LiveObjects:  r.Sums[wire.BlockObjects],
		AllocBytes:   r.Sums[wire.BlockAllocBytes],
		FreeBytes:    r.Sums[wire.BlockFreeBytes],
		HeapInuse:    rundir.Absent,
		HeapHeld:     rundir.Absent,
		HeapRetained: rundir.Absent,
		CgroupUsage:  r.Usage,
		CgroupSwap:   max(r.CgroupSwap, rundir.Absent),
		PSISomeAvg10: s.psiVal,
	}
	if v.CgroupUsage < 0 {
		v.CgroupUsage = rundir.Absent
	}
	if s.cgTHP && r.CgroupAnonTHP >= 0 {
		v.AnonHuge = r.CgroupAnonTHP
	}
	if !r.Slow { // stat was not read for this record: no fault counts
		v.MinFlt, v.MajFlt = rundir.Absent, rundir.Absent
	}
	v.CgroupFile, v.CgroupShmem = max(r.CgroupFile, rundir.Absent), max(r.CgroupShmem, rundir.Absent)
	// The allocator's figures are those of the worker's last refresh: a
	// sample carries them only when a refresh happened since the last one,
	// so that a held value is never recorded as a new measurement.
	if seq := r.HeaderSums[wire.HdrHeapSeq]; seq != s.heapSeq {
		s.heapSeq = seq
		v.HeapInuse = absentIfNegative(r.HeaderSums[wire.HdrHeapInuse])
		v.HeapHeld = absentIfNegative(r.HeaderSums[wire.HdrHeapHeld])
		v.HeapRetained = absentIfNegative(r.HeaderSums[wire.HdrHeapRetained])
	}
	return v
}

// absentIfNegative: a heap figure the allocator does not give is -1 in
// every process, so their sum is negative.
func absentIfNegative(v int64) int64 {
	if v < 0 {
		return rundir.Absent
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
func (s *sampler) stop(emit func(rundir.Sample)) {
	s.collect(false, emit)
	s.th.Stop()
	s.closeFiles()
}
