package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
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

// Stats is one reading of a memory cgroup's counters. -1 means unlimited for
// the limits and "not counted by this cgroup version" for the counters.
type Stats struct {
	Version    int    // 1 or 2
	Usage      int64  // bytes charged now: v1 memory.usage_in_bytes, v2 memory.current
	Peak       int64  // high-water mark in bytes, -1 when PeakSource is PeakSampled
	PeakSource string // PeakKernel or PeakSampled
	Limit      int64  // hard limit: v1 memory.limit_in_bytes, v2 memory.max
	High       int64  // v1 memory.soft_limit_in_bytes, v2 memory.high
	Swap       int64  // swap allowed beyond Limit: v1 memsw.limit - limit, v2 memory.swap.max; -1 if unlimited or not accounted
	OOMKills   int64  // processes killed by the memcg OOM killer (v1 oom_control oom_kill, v2 events oom_kill); -1 before Linux 4.13 on v1
	OOMEvents  int64  // v2 events "oom" (charge failed, OOM killer invoked); -1 on v1, which does not count them
	Failcnt    int64  // charges refused at the limit: v1 memory.failcnt + memory.memsw.failcnt, v2 events "max"
	UnderOOM   bool   // v1 oom_control under_oom: a task is waiting on a disabled OOM killer
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
	s := Stats{Version: 1, PeakSource: PeakKernel, OOMEvents: -1}
	r := reader{dir: dir}
	s.Usage = r.counter("memory.usage_in_bytes")
	s.Peak = r.counter("memory.max_usage_in_bytes")
	s.Failcnt = r.counter("memory.failcnt")
	s.Limit = r.limit("memory.limit_in_bytes")
	s.High = r.limit("memory.soft_limit_in_bytes")
	s.Events = r.flat("memory.oom_control")
	s.Stat = r.flat("memory.stat")
	s.Swap = -1
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
		if memsw >= 0 && s.Limit >= 0 {
			s.Swap = memsw - s.Limit
		}
	}
	if r.err != nil {
		return Stats{}, r.err
	}
	s.OOMKills = -1
	if v, ok := s.Events["oom_kill"]; ok {
		s.OOMKills = v
	}
	s.UnderOOM = s.Events["under_oom"] != 0
	return s, nil
}

func readStatsV2(dir string) (Stats, error) {
	s := Stats{Version: 2, PeakSource: PeakKernel}
	r := reader{dir: dir}
	s.Usage = r.counter("memory.current")
	s.Limit = r.limit("memory.max")
	s.High = r.limit("memory.high")
	s.Events = r.flat("memory.events")
	s.EventsLocal = r.flat("memory.events.local")
	s.Stat = r.flat("memory.stat")
	if r.exists("memory.peak") {
		s.Peak = r.counter("memory.peak")
	} else {
		s.Peak, s.PeakSource = -1, PeakSampled
	}
	s.Swap = -1
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
	s.OOMEvents = s.Events["oom"]
	s.Failcnt = s.Events["max"]
	return s, nil
}

// readPSI reads a pressure file. Its absence (no file, or EOPNOTSUPP when the
// kernel runs with psi=0) is the value PSI{OK: false}, not an error.
func readPSI(path string) (PSI, error) {
	p, err := parseFile(path, parsePSI)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EOPNOTSUPP) {
		return PSI{}, nil
	}
	return p, err
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

func (r *reader) limit(name string) int64 {
	if r.err != nil {
		return 0
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
