package procfs

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// UserHZ is the unit of the tick counts in /proc/<pid>/stat (USER_HZ). It is
// 100 on every Linux architecture memstorm runs on.
const UserHZ = 100

// Stat is the part of /proc/<pid>/stat that memstorm samples.
type Stat struct {
	PID            int
	State          byte // R, S, D, T, Z, ...
	PPID           int
	MinFlt         uint64 // minor page faults (a page mapped without I/O: first touch of anonymous memory)
	MajFlt         uint64 // major page faults (needed I/O)
	UTimeTicks     uint64 // user CPU time in 1/UserHZ s
	STimeTicks     uint64 // system CPU time in 1/UserHZ s
	NumThreads     int
	StartTimeTicks uint64 // start time after boot in 1/UserHZ s
	VSizeBytes     int64  // virtual size
	RSSPages       int64  // resident pages (the kernel's approximate counters)
}

// CPUTime is user plus system time.
func (s Stat) CPUTime() time.Duration {
	return time.Duration(s.UTimeTicks+s.STimeTicks) * time.Second / UserHZ
}

// Stat reads /proc/<pid>/stat.
func (p Proc) Stat() (Stat, error) {
	return readFile(p.Path("stat"), ParseStat)
}

// ParseStat parses the text of /proc/<pid>/stat. The command name may hold
// spaces and parentheses, so fields are counted from the last ')'. A zombie
// (State Z or X) yields ErrProcessGone.
func ParseStat(r io.Reader) (Stat, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Stat{}, goneIfESRCH(err)
	}
	var s Stat
	err = parseStat(b, &s)
	return s, err
}

// Indexes of the fields after the command, numbered as in proc(5).
const (
	statState      = 3
	statPPID       = 4
	statMinFlt     = 10
	statMajFlt     = 12
	statUTime      = 14
	statSTime      = 15
	statNumThreads = 20
	statStartTime  = 22
	statVSize      = 23
	statRSS        = 24
)

// parseStat is the parser behind ParseStat, on bytes so that the empty read
// of an exited process is told apart. On error *s is zero.
func parseStat(b []byte, s *Stat) error {
	err := fillStat(b, s)
	if err != nil {
		*s = Stat{}
	}
	return err
}

func fillStat(b []byte, s *Stat) error {
	*s = Stat{}
	if len(b) == 0 {
		return ErrProcessGone
	}
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return fmt.Errorf("%w: stat: no (comm) in %q", ErrMalformed, truncate(b))
	}
	pid, _, err := parseUint(trimSpace(b[:open]))
	if err != nil {
		return fmt.Errorf("%w: stat: pid: %v", ErrMalformed, err)
	}
	s.PID = int(pid)
	rest := b[end+1:]
	idx := 2
	for idx < statRSS {
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) == 0 || rest[0] == '\n' {
			return fmt.Errorf("%w: stat: %d fields, want at least %d", ErrMalformed, idx, statRSS)
		}
		idx++
		n := bytes.IndexAny(rest, " \n")
		if n < 0 {
			n = len(rest)
		}
		tok := rest[:n]
		rest = rest[n:]
		if idx == statState {
			s.State = tok[0]
			continue
		}
		if !statWanted(idx) {
			continue
		}
		v, after, err := parseUint(tok)
		if err != nil || len(after) != 0 {
			return fmt.Errorf("%w: stat: field %d: %q", ErrMalformed, idx, tok)
		}
		switch idx {
		case statPPID:
			s.PPID = int(v)
		case statMinFlt:
			s.MinFlt = v
		case statMajFlt:
			s.MajFlt = v
		case statUTime:
			s.UTimeTicks = v
		case statSTime:
			s.STimeTicks = v
		case statNumThreads:
			s.NumThreads = int(v)
		case statStartTime:
			s.StartTimeTicks = v
		case statVSize:
			s.VSizeBytes = int64(v)
		case statRSS:
			s.RSSPages = int64(v)
		}
	}
	if s.State == 'Z' || s.State == 'X' {
		return ErrProcessGone
	}
	return nil
}

func statWanted(idx int) bool {
	switch idx {
	case statPPID, statMinFlt, statMajFlt, statUTime, statSTime, statNumThreads, statStartTime, statVSize, statRSS:
		return true
	}
	return false
}

// truncate shortens b for an error message.
func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
