package rundir

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// sampleColumns are the columns of samples.csv, in the order written.
var sampleColumns = []string{
	"t_s", "phase", "rss_bytes", "anon_bytes", "file_bytes", "shmem_bytes", "swap_bytes",
	"anon_huge_bytes", "lazyfree_bytes", "minflt", "majflt", "live_bytes", "live_objects",
	"alloc_bytes", "free_bytes", "heap_inuse_bytes", "heap_held_bytes", "heap_retained_bytes",
	"cgroup_usage_bytes", "cgroup_swap_bytes", "locked_bytes", "hugetlb_bytes", "psi_some_avg10", "cgroup_file_bytes", "cgroup_shmem_bytes",
}

// intColumns maps an integer column of samples.csv to its field.
var intColumns = map[string]func(*Sample) *int64{
	"rss_bytes":           func(s *Sample) *int64 { return &s.RSS },
	"anon_bytes":          func(s *Sample) *int64 { return &s.Anon },
	"file_bytes":          func(s *Sample) *int64 { return &s.File },
	"shmem_bytes":         func(s *Sample) *int64 { return &s.Shmem },
	"swap_bytes":          func(s *Sample) *int64 { return &s.Swap },
	"anon_huge_bytes":     func(s *Sample) *int64 { return &s.AnonHuge },
	"lazyfree_bytes":      func(s *Sample) *int64 { return &s.LazyFree },
	"minflt":              func(s *Sample) *int64 { return &s.MinFlt },
	"majflt":              func(s *Sample) *int64 { return &s.MajFlt },
	"live_bytes":          func(s *Sample) *int64 { return &s.Live },
	"live_objects":        func(s *Sample) *int64 { return &s.LiveObjects },
	"alloc_bytes":         func(s *Sample) *int64 { return &s.AllocBytes },
	"free_bytes":          func(s *Sample) *int64 { return &s.FreeBytes },
	"heap_inuse_bytes":    func(s *Sample) *int64 { return &s.HeapInuse },
	"heap_held_bytes":     func(s *Sample) *int64 { return &s.HeapHeld },
	"locked_bytes":        func(s *Sample) *int64 { return &s.Locked },
	"hugetlb_bytes":       func(s *Sample) *int64 { return &s.HugeTLB },
	"heap_retained_bytes": func(s *Sample) *int64 { return &s.HeapRetained },
	"cgroup_usage_bytes":  func(s *Sample) *int64 { return &s.CgroupUsage },
	"cgroup_swap_bytes":   func(s *Sample) *int64 { return &s.CgroupSwap },
	"cgroup_file_bytes":   func(s *Sample) *int64 { return &s.CgroupFile },
	"cgroup_shmem_bytes":  func(s *Sample) *int64 { return &s.CgroupShmem },
}

// AbsentSample returns a Sample at t with every figure Absent, the starting
// point for a sampler that fills in what it can read.
func AbsentSample(t float64) Sample {
	s := absentSample
	s.T = t
	return s
}

// absentSample is a Sample with every figure Absent.
var absentSample = func() Sample {
	s := Sample{PSISomeAvg10: Absent}
	for _, f := range intColumns {
		*f(&s) = Absent
	}
	return s
}()

// SampleWriter streams samples.csv. Each Write reaches the underlying
// writer before it returns, so a run killed mid-way loses no sample.
type SampleWriter struct {
	w   io.Writer
	buf []byte
}

// NewSampleWriter writes the header of samples.csv to w.
func NewSampleWriter(w io.Writer) (*SampleWriter, error) {
	sw := &SampleWriter{w: w, buf: make([]byte, 0, 512)}
	sw.buf = append(sw.buf, strings.Join(sampleColumns, ",")...)
	sw.buf = append(sw.buf, '\n')
	if _, err := w.Write(sw.buf); err != nil {
		return nil, fmt.Errorf("writing samples.csv header: %w", err)
	}
	return sw, nil
}

// Write writes one row. Negative byte figures and a negative PSI are written
// as empty cells (absent).
func (sw *SampleWriter) Write(s *Sample) error {
	b := sw.buf[:0]
	b = strconv.AppendFloat(b, s.T, 'f', -1, 64)
	b = append(b, ',')
	b = appendPhase(b, s.Phase)
	for _, v := range [...]int64{s.RSS, s.Anon, s.File, s.Shmem, s.Swap, s.AnonHuge, s.LazyFree,
		s.MinFlt, s.MajFlt, s.Live, s.LiveObjects, s.AllocBytes, s.FreeBytes, s.HeapInuse,
		s.HeapHeld, s.HeapRetained, s.CgroupUsage, s.CgroupSwap, s.Locked, s.HugeTLB} {
		b = append(b, ',')
		if v >= 0 {
			b = strconv.AppendInt(b, v, 10)
		}
	}
	b = append(b, ',')
	if s.PSISomeAvg10 >= 0 && !math.IsNaN(s.PSISomeAvg10) {
		b = strconv.AppendFloat(b, s.PSISomeAvg10, 'f', -1, 64)
	}
	for _, v := range [...]int64{s.CgroupFile, s.CgroupShmem} {
		b = append(b, ',')
		if v >= 0 {
			b = strconv.AppendInt(b, v, 10)
		}
	}
	b = append(b, '\n')
	sw.buf = b
	if _, err := sw.w.Write(b); err != nil {
		return fmt.Errorf("writing sample at t=%gs: %w", s.T, err)
	}
	if f, ok := sw.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("flushing sample at t=%gs: %w", s.T, err)
		}
	}
	return nil
}

// appendPhase appends a phase name as a CSV field, quoted only when needed.
func appendPhase(b []byte, p string) []byte {
	if !strings.ContainsAny(p, ",\"\r\n") {
		return append(b, p...)
	}
	b = append(b, '"')
	for i := 0; i < len(p); i++ {
		if p[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, p[i])
	}
	return append(b, '"')
}
