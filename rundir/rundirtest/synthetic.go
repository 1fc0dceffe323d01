// Package rundirtest writes synthetic run directories for tests of the
// packages that read them.
package rundirtest

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

const mib = 1 << 20

// syntheticPhases of a plausible fragmentation run, as shares of its length.
var syntheticPhases = []struct {
	name       string
	start, end float64
}{
	{"fill", 0.02, 0.40}, {"punch-holes", 0.40, 0.60}, {"trim", 0.60, 0.70}, {"free-all", 0.70, 0.98},
}

// WriteSynthetic writes a run directory with n samples over dur seconds,
// through this package's own writers: fill to 256 MiB live (RSS a little
// above), free every other object (live halves, RSS stays), malloc_trim
// (RSS drops by a third of the freed), free everything (RSS falls to a
// residue). An ENOMEM is recorded at the end of fill, a trim in 'trim'.
func WriteSynthetic(tb testing.TB, dir string, n int, dur float64) *rundir.Summary {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	f, err := os.Create(filepath.Join(dir, rundir.SamplesFile))
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	sw, err := rundir.NewSampleWriter(bw)
	if err != nil {
		tb.Fatal(err)
	}
	sum := &rundir.Summary{
		Scenario: "punch-holes", Description: "fill, free every other object, trim, free all",
		Outcome: rundir.OutcomeENOMEM, Reason: "malloc returned NULL at 256 MiB live",
		Allocator:    rundir.AllocatorInfo{Name: "glibc", Version: "2.36", Env: map[string]string{"MALLOC_ARENA_MAX": "2"}, Mallopt: map[string]int64{"M_TRIM_THRESHOLD": 131072}},
		Started:      "2025-01-01T00:00:00Z",
		DurationS:    dur,
		SampleEveryS: dur / float64(n),
		Cgroup:       &rundir.CgroupSummary{Version: 1, Path: "/memstorm/run1", Mode: "child", Limit: units.LimitOf(320 * mib), High: units.LimitOf(288 * mib), OOMKilledProcesses: 0, OOMKill: 0, OOMGroupKill: rundir.Absent, LifetimePeakUsageBytes: rundir.Absent, PeakSwapBytes: 0, PeakSource: "memory.max_usage_in_bytes"},
		Expectations: []rundir.Expectation{{Expr: "peak_rss < 300MiB", Passed: true, Observed: "270 MiB"}, {Expr: "rss_after_free_all < 16MiB", Passed: false, Observed: "40 MiB"}},
		Machine:      rundir.Machine{CPUBrand: "Synthetic CPU", PhysicalCores: 2, LogicalCores: 2, Kernel: "6.1.0", PageSize: 4096, MemTotalBytes: 24 << 30, THP: "madvise", CgroupVersion: 1},
	}
	var alloc, free, minflt, prevLive, prevRSS int64
	phaseEnd := make([]bool, len(syntheticPhases))
	for i := 0; i < n; i++ {
		t := dur * float64(i) / float64(n-1)
		u := t / dur
		s := rundir.AbsentSample(t)
		var live, rss int64
		noise := int64(rng.NormFloat64() * 0.3 * mib)
		phase := ""
		for _, p := range syntheticPhases {
			if u >= p.start && u < p.end {
				phase = p.name
			}
		}
		switch {
		case u < 0.02:
			live, rss = 0, 6*mib
		case u < 0.40:
			live = int64((u - 0.02) / 0.38 * 256 * mib)
			rss = 6*mib + live*21/20
		case u < 0.60:
			live = 256*mib - int64((u-0.40)/0.20*128*mib)
			rss = 6*mib + 256*mib*21/20
		case u < 0.70:
			live = 128 * mib
			rss = 6*mib + 256*mib*21/20
			if u >= 0.62 {
				rss -= 64 * mib
			}
		case u < 0.98:
			live = 128*mib - int64(math.Min((u-0.70)/0.25, 1)*128*mib)
			rss = max(40*mib, 6*mib+256*mib*21/20-64*mib-int64(math.Min((u-0.70)/0.25, 1)*180*mib))
		default:
			live, rss = 0, 40*mib
		}
		rss += noise
		if live > prevLive {
			alloc += live - prevLive
		} else {
			free += prevLive - live
		}
		if rss > prevRSS {
			minflt += (rss - prevRSS) / 4096
		}
		prevLive, prevRSS = live, rss
		s.Phase = phase
		s.RSS, s.Anon, s.File, s.Shmem, s.Swap = rss, rss-4*mib, 4*mib, 0, 0
		s.AnonHuge, s.LazyFree = 0, 0
		s.MinFlt, s.MajFlt = minflt, 0
		s.Live, s.LiveObjects = live, live/4096
		s.AllocBytes, s.FreeBytes = alloc, free
		s.HeapInuse = live + live/50
		s.HeapHeld = max(rss-5*mib, s.HeapInuse)
		s.CgroupUsage, s.CgroupSwap = rss+10*mib, 0
		s.PSISomeAvg10 = 0
		if u > 0.35 && u < 0.40 {
			s.PSISomeAvg10 = 12 * (u - 0.35) / 0.05
		}
		if err := sw.Write(&s); err != nil {
			tb.Fatal(err)
		}
		sum.PeakRSSBytes = max(sum.PeakRSSBytes, rss)
		sum.PeakLiveBytes = max(sum.PeakLiveBytes, live)
		sum.Cgroup.PeakUsageBytes = max(sum.Cgroup.PeakUsageBytes, s.CgroupUsage)
		for j, p := range syntheticPhases {
			if !phaseEnd[j] && u >= p.end {
				phaseEnd[j] = true
				sum.Phases = append(sum.Phases, rundir.PhaseSummary{Name: p.name, StartS: p.start * dur, EndS: p.end * dur,
					RSSBytes: s.RSS, LiveBytes: s.Live, HeapInuseBytes: s.HeapInuse, HeapHeldBytes: s.HeapHeld, CgroupUsageBytes: s.CgroupUsage})
			}
		}
	}
	sum.Samples = n
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	ef, err := os.Create(filepath.Join(dir, rundir.EventsFile))
	if err != nil {
		tb.Fatal(err)
	}
	ew := rundir.NewEventWriter(ef)
	for _, p := range syntheticPhases {
		for _, e := range []rundir.Event{{T: p.start * dur, Kind: rundir.EventPhaseStart, Phase: p.name}, {T: p.end * dur, Kind: rundir.EventPhaseEnd, Phase: p.name}} {
			if err := ew.Write(&e); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for _, e := range []rundir.Event{
		{T: 0.395 * dur, Kind: rundir.EventENOMEM, Phase: "fill", Detail: "malloc(65536) = NULL", Bytes: rundir.Figure(256 * mib)},
		{T: 0.62 * dur, Kind: rundir.EventTrim, Phase: "trim", Detail: "malloc_trim(0) = 1"},
	} {
		if err := ew.Write(&e); err != nil {
			tb.Fatal(err)
		}
	}
	ef.Close()
	if err := rundir.WriteSummary(filepath.Join(dir, rundir.SummaryFile), sum); err != nil {
		tb.Fatal(err)
	}
	scen := "name: punch-holes\ndescription: fill, free every other object, trim, free all\nphases:\n  - name: fill\n    alloc: {size: 4KiB, until: 256MiB}\n  - name: punch-holes\n    free: {every: 2}\n  - name: trim\n    trim: true\n  - name: free-all\n    free: {all: true}\n"
	if err := os.WriteFile(filepath.Join(dir, rundir.ScenarioFile), []byte(scen), 0o644); err != nil {
		tb.Fatal(err)
	}
	return sum
}
