package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/units"
)

// Peak sources reported in Stats.PeakSource.
const (
	// PeakKernel: Stats.Peak is the kernel's own high-water mark
	// (v1 memory.max_usage_in_bytes, v2 memory.peak).
	PeakKernel = "kernel"
	// PeakSampled: the kernel keeps no high-water mark (v2 before Linux
	// 5.19); Stats.Peak is -1 and the caller substitutes the largest usage
	// it sampled.
	PeakSampled = "sampled"
)

// Stats is one reading of a memory cgroup's counters, in bytes or counts.
//
// Limits are units.Limit: unlimited ("max" on v2, >= 2^62 or negative on
// v1) is units.Unlimited, and a limit the kernel does not keep is unset.
// Counters the kernel does not keep are units.Absent:
//
//	Peak       absent: no memory.peak (v2 before Linux 5.19); PeakSource says so
//	Swap       unset: not accounted (v1 without memsw files, v2 without
//	             memory.swap.max), or, on v1, Limit unlimited
//	OOMKills   absent: v1 memory.oom_control without an oom_kill line
//	             (Linux before 4.13)
//	OOMEvents  absent: always on v1, which has no such counter
//	OOMGroupKills  absent: v1, and v2 before Linux 5.17 (no oom_group_kill line)
//	OOMGroup   absent: v1, which has no memory.oom.group
//	SwapUsage  absent: swap not accounted (v1 without memsw files, v2 without
//	             memory.swap.current)
//
// Usage and Failcnt are never absent; a missing file behind them is an
// error. PSI says "absent" with PSI.OK, not with a number.
type Stats struct {
	Version    int         // 1 or 2
	Usage      int64       // bytes charged now: v1 memory.usage_in_bytes, v2 memory.current
	Peak       int64       // high-water mark in bytes; units.Absent when PeakSource is PeakSampled
	PeakSource string      // PeakKernel or PeakSampled
	Limit      units.Limit // hard limit: v1 memory.limit_in_bytes, v2 memory.max
	High       units.Limit // v1 memory.soft_limit_in_bytes, v2 memory.high
	Swap       units.Limit // swap allowed beyond Limit: v1 memsw.limit - limit, v2 memory.swap.max; unset when not accounted
	OOMKills   int64       // processes killed by the memcg OOM killer (v1 oom_control oom_kill, v2 events oom_kill); units.Absent before Linux 4.13 on v1
	OOMEvents  int64       // v2 events "oom" (charge failed, OOM killer invoked); units.Absent on v1
	// OOMGroupKills is v2 memory.events oom_group_kill: how many times the
	// OOM killer took the whole group (memory.oom.group), once per OOM
	// event however many processes that killed. Each process it killed
	// also counts in OOMKills, the first victim again as the one chosen.
	OOMGroupKills int64
	OOMGroup      int64 // v2 memory.oom.group: 1 set, 0 not; units.Absent on v1
	// SwapUsage is the swap charged to the cgroup in bytes: v2
	// memory.swap.current, v1 memory.memsw.usage_in_bytes minus
	// memory.usage_in_bytes (two reads, not one instant: clamped at 0).
	SwapUsage int64
	Failcnt   int64 // charges refused at the limit: v1 memory.failcnt + memory.memsw.failcnt (a lower bound since Linux 6.15), v2 events "max"
	UnderOOM  bool  // v1 oom_control under_oom: a task is waiting on a disabled OOM killer
	// Events is v2 memory.events (hierarchical: low, high, max, oom,
	// oom_kill, oom_group_kill) or v1 memory.oom_control.
	Events map[string]int64
	// EventsLocal is v2 memory.events.local (this cgroup only); nil on v1.
	EventsLocal map[string]int64
	// Stat is memory.stat (anon, file, ... on v2; rss, cache, total_* on v1).
	Stat map[string]int64
	// PSI is v2 memory.pressure; PSI.OK is false on v1 or with psi=0.
	PSI PSI
}

// readStats reads every counter of the cgroup directory dir. Any file that
// the version always has and that is missing or unparsable is an error; the
// optional files (v1 memsw, v2 memory.peak, memory.swap.max,
// memory.pressure) set their documented "absent" values.
func readStats(version int, dir string) (Stats, error) {
	switch version {
	case 1:
		return readStatsV1(dir)
	case 2:
		return readStatsV2(dir)
	}
	return Stats{}, fmt.Errorf("cgroup version %d: %w", version, ErrUnsupported)
}

func readStatsV1(dir string) (Stats, error) {
	s := Stats{Version: 1, PeakSource: PeakKernel, OOMEvents: units.Absent, OOMGroupKills: units.Absent, OOMGroup: units.Absent, SwapUsage: units.Absent}
	r := reader{dir: dir}
	s.Usage = r.counter("memory.usage_in_bytes")
	if r.exists("memory.memsw.usage_in_bytes") {
		s.SwapUsage = max(r.counter("memory.memsw.usage_in_bytes")-s.Usage, 0)
	}
	s.Peak = r.counter("memory.max_usage_in_bytes")
	s.Failcnt = r.counter("memory.failcnt")
	s.Limit = r.limit("memory.limit_in_bytes")
	s.High = r.limit("memory.soft_limit_in_bytes")
	s.Events = r.flat("memory.oom_control")
	s.Stat = r.flat("memory.stat")
	// With swap accounting a charge is tried against memsw first; when
	// that refuses it, memory.failcnt is never touched, so with Swap 0 an
	// OOM shows only in memory.memsw.failcnt. Each refused charge counts in
	// at most one of the two. Since Linux 6.15 the kernel tracks failcnt on
	// the memory counter only, so there a charge refused by memsw (a memsw
	// limit at or near the memory limit) is counted nowhere: OOMKills is
	// the reliable OOM signal, Failcnt a lower bound.
	if r.exists("memory.memsw.failcnt") {
		s.Failcnt += r.counter("memory.memsw.failcnt")
	}
	if r.exists("memory.memsw.limit_in_bytes") {
		memsw := r.limit("memory.memsw.limit_in_bytes")
		mb, ok1 := memsw.Bytes()
		lb, ok2 := s.Limit.Bytes()
		switch {
		case ok1 && ok2:
			s.Swap = units.BytesLimit(mb - lb)
		case memsw.IsUnlimited():
			s.Swap = units.Unlimited
		}
	}
	if r.err != nil {
		return Stats{}, r.err
	}
	s.OOMKills = units.Absent
	if v, ok := s.Events["oom_kill"]; ok {
		s.OOMKills = v
	}
	s.UnderOOM = s.Events["under_oom"] != 0
	return s, nil
}

func readStatsV2(dir string) (Stats, error) {
	s := Stats{Version: 2, PeakSource: PeakKernel, OOMGroupKills: units.Absent, OOMGroup: units.Absent, SwapUsage: units.Absent}
	r := reader{dir: dir}
	s.Usage = r.counter("memory.current")
	if r.exists("memory.swap.current") {
		s.SwapUsage = r.counter("memory.swap.current")
	}
	if r.exists("memory.oom.group") {
		s.OOMGroup = r.counter("memory.oom.group")
	}
	s.Limit = r.limit("memory.max")
	s.High = r.limit("memory.high")
	s.Events = r.flat("memory.events")
	s.EventsLocal = r.flat("memory.events.local")
	s.Stat = r.flat("memory.stat")
	if r.exists("memory.peak") {
		s.Peak = r.counter("memory.peak")
	} else {
		s.Peak, s.PeakSource = units.Absent, PeakSampled
	}
	if r.exists("memory.swap.max") {
		s.Swap = r.limit("memory.swap.max")
	}
	if r.err != nil {
		return Stats{}, r.err
	}
	psi, err := readPSI(filepath.Join(dir, "memory.pressure"))
	if err != nil {
		return Stats{}, err
	}
	s.PSI = psi
	for _, k := range []string{"oom", "oom_kill", "max"} {
		if _, ok := s.Events[k]; !ok {
			return Stats{}, fmt.Errorf("%s: no %q line", filepath.Join(dir, "memory.events"), k)
		}
	}
	s.OOMKills = s.Events["oom_kill"]
	if v, ok := s.Events["oom_group_kill"]; ok {
		s.OOMGroupKills = v
	}
	s.OOMEvents = s.Events["oom"]
	s.Failcnt = s.Events["max"]
	return s, nil
}

// PSI is the memory pressure of a cgroup from its v2 memory.pressure file.
// OK is false where there is no such file (cgroup v1, or a kernel booted with
// psi=0); the other fields are then zero and meaningless.
type PSI struct {
	OK        bool
	SomeAvg10 float64 // % of the last 10 s in which at least one task stalled on memory
	FullAvg10 float64 // % of the last 10 s in which all non-idle tasks stalled
	SomeTotal int64   // cumulative "some" stall time, microseconds
	FullTotal int64   // cumulative "full" stall time, microseconds
}

// readPSI reads a memory.pressure file through procfs, the one PSI parser.
// Its absence (no file, or EOPNOTSUPP when the kernel runs with psi=0:
// procfs.ErrPSIUnavailable) is the value PSI{OK: false}, not an error. The
// "full" line, optional in pressure files in general (cpu before Linux
// 5.13), is in every memory pressure file since PSI exists, and PSI has no
// way to say it is absent, so here a file without it is malformed (a torn
// read) and an error naming the file, never a zero FullAvg10.
func readPSI(path string) (PSI, error) {
	p, err := procfs.ReadPressureFile(path)
	if errors.Is(err, procfs.ErrPSIUnavailable) {
		return PSI{}, nil
	}
	if err != nil {
		return PSI{}, err
	}
	if !p.FullPresent {
		return PSI{}, fmt.Errorf("reading %s: %w: no \"full\" line, which every memory pressure file has", path, procfs.ErrMalformed)
	}
	return PSI{
		OK:        true,
		SomeAvg10: p.Some.Avg10,
		FullAvg10: p.Full.Avg10,
		SomeTotal: int64(p.Some.Total),
		FullTotal: int64(p.Full.Total),
	}, nil
}

// reader reads files of one cgroup directory, keeping the first error so a
// whole Stats can be filled before checking once.
type reader struct {
	dir string
	err error
}

func (r *reader) path(name string) string { return filepath.Join(r.dir, name) }

func (r *reader) exists(name string) bool {
	_, err := os.Stat(r.path(name))
	return err == nil
}

func (r *reader) counter(name string) int64 {
	if r.err != nil {
		return 0
	}
	v, err := parseFile(r.path(name), parseCounter)
	r.err = err
	return v
}

func (r *reader) limit(name string) units.Limit {
	if r.err != nil {
		return units.Limit{}
	}
	v, err := parseFile(r.path(name), parseLimit)
	r.err = err
	return v
}

func (r *reader) flat(name string) map[string]int64 {
	if r.err != nil {
		return nil
	}
	v, err := parseFile(r.path(name), parseFlatKeyed)
	r.err = err
	return v
}

// Counters are the cgroup's event counters by the kernel's names: v2
// memory.events (low, high, max, oom, oom_kill, oom_group_kill, as the
// kernel has them), v1 memory.oom_control's oom_kill; and "failcnt" (Failcnt)
// on both. They only grow, so the difference of two readings is what
// happened between them. The states beside them in memory.oom_control
// (oom_kill_disable, under_oom) are not counters and are left out.
func (s Stats) Counters() map[string]int64 {
	out := map[string]int64{"failcnt": s.Failcnt}
	switch s.Version {
	case 1:
		if v, ok := s.Events["oom_kill"]; ok {
			out["oom_kill"] = v
		}
	case 2:
		for k, v := range s.Events {
			out[k] = v
		}
	}
	return out
}

// CountersSince is the counters of end less those of start: what the
// cgroup counted between the two readings. A counter that went down was
// reset in between (v1 failcnt takes a write of 0): how much it counted is
// then unknown, and units.Absent. A counter start did not have counts from 0.
func CountersSince(start, end Stats) map[string]int64 {
	base := start.Counters()
	out := end.Counters()
	for k, v := range out {
		d := v - base[k]
		if d < 0 {
			d = units.Absent
		}
		out[k] = d
	}
	return out
}

// SwapUsageFile names the file the sampler reads the cgroup's swap usage
// from, in the cgroup directory of a version-v group: v2
// memory.swap.current, or v1 memory.memsw.usage_in_bytes, memory plus
// swap, from which the usage must be subtracted (memsw true). "" when the
// version has no such file name.
func SwapUsageFile(version int) (name string, memsw bool) {
	switch version {
	case 1:
		return "memory.memsw.usage_in_bytes", true
	case 2:
		return "memory.swap.current", false
	}
	return "", false
}
