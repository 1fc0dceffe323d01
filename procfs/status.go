package procfs

import (
	"bytes"
	"io"
)

// Status is the memory part of /proc/<pid>/status. Sizes are in bytes.
type Status struct {
	State        byte  // first letter of State: R, S, D, T, Z, ...
	VmPeak       int64 // peak virtual size
	VmSize       int64 // virtual size
	VmLck        int64 // mlocked
	VmHWM        int64 // peak resident set ("high water mark")
	VmRSS        int64 // resident set: RssAnon + RssFile + RssShmem
	RssAnon      int64
	RssFile      int64
	RssShmem     int64
	VmData       int64 // data + heap + private anonymous mappings
	VmStk        int64
	VmPTE        int64 // page tables
	VmSwap       int64 // swapped-out anonymous memory
	HugetlbPages int64 // optional (Linux 4.4+): reads as 0 when absent
	Threads      int
}

var statusFields = newFieldSet("status", []field[Status]{
	{"VmPeak", kiB, true, func(s *Status, v int64) { s.VmPeak = v }},
	{"VmSize", kiB, true, func(s *Status, v int64) { s.VmSize = v }},
	{"VmLck", kiB, true, func(s *Status, v int64) { s.VmLck = v }},
	{"VmHWM", kiB, true, func(s *Status, v int64) { s.VmHWM = v }},
	{"VmRSS", kiB, true, func(s *Status, v int64) { s.VmRSS = v }},
	{"RssAnon", kiB, true, func(s *Status, v int64) { s.RssAnon = v }},
	{"RssFile", kiB, true, func(s *Status, v int64) { s.RssFile = v }},
	{"RssShmem", kiB, true, func(s *Status, v int64) { s.RssShmem = v }},
	{"VmData", kiB, true, func(s *Status, v int64) { s.VmData = v }},
	{"VmStk", kiB, true, func(s *Status, v int64) { s.VmStk = v }},
	{"VmPTE", kiB, true, func(s *Status, v int64) { s.VmPTE = v }},
	{"VmSwap", kiB, true, func(s *Status, v int64) { s.VmSwap = v }},
	{"HugetlbPages", kiB, false, func(s *Status, v int64) { s.HugetlbPages = v }},
	{"Threads", count, true, func(s *Status, v int64) { s.Threads = int(v) }},
})

// Status reads /proc/<pid>/status.
func (p Proc) Status() (Status, error) {
	return readFile(p.Path("status"), ParseStatus)
}

// ParseStatus parses the text of /proc/<pid>/status. A zombie (State Z or X,
// whose memory lines the kernel no longer prints) yields ErrProcessGone.
func ParseStatus(r io.Reader) (Status, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Status{}, goneIfESRCH(err)
	}
	var s Status
	err = parseStatus(b, &s)
	return s, err
}

var stateKey = []byte("\nState:")

// parseStatus is the parser behind ParseStatus, on bytes so that the empty
// read of an exited process is told apart. On error *s is zero.
func parseStatus(b []byte, s *Status) error {
	*s = Status{}
	if len(b) == 0 {
		return ErrProcessGone
	}
	if i := bytes.Index(b, stateKey); i >= 0 {
		st := trimSpace(b[i+len(stateKey):])
		if len(st) > 0 {
			s.State = st[0]
		}
	}
	if s.State == 'Z' || s.State == 'X' {
		*s = Status{}
		return ErrProcessGone
	}
	return statusFields.parse(b, s)
}
