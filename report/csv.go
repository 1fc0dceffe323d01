package report

import (
	"bufio"
	"encoding/csv"
	"errors"
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
	"cgroup_usage_bytes", "psi_some_avg10",
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
	"heap_retained_bytes": func(s *Sample) *int64 { return &s.HeapRetained },
	"cgroup_usage_bytes":  func(s *Sample) *int64 { return &s.CgroupUsage },
}

// AbsentSample returns a Sample at t with every figure Absent, the starting
// point for a sampler that fills in what it can read.
func AbsentSample(t float64) Sample {
	s := Sample{T: t, PSISomeAvg10: Absent}
	for _, f := range intColumns {
		*f(&s) = Absent
	}
	return s
}

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
		s.HeapHeld, s.HeapRetained, s.CgroupUsage} {
		b = append(b, ',')
		if v >= 0 {
			b = strconv.AppendInt(b, v, 10)
		}
	}
	b = append(b, ',')
	if s.PSISomeAvg10 >= 0 && !math.IsNaN(s.PSISomeAvg10) {
		b = strconv.AppendFloat(b, s.PSISomeAvg10, 'f', -1, 64)
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

// ReadSamples reads samples.csv. Columns are found by the header, so files
// with fewer or more columns than this version writes still read; a column
// it does not know is ignored and one it lacks reads as Absent. An empty
// cell is Absent. Errors name the line.
func ReadSamples(r io.Reader) ([]Sample, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("samples.csv line 1: no header")
	}
	if err != nil {
		return nil, fmt.Errorf("samples.csv line 1: %w", err)
	}
	type col struct {
		name string
		set  func(*Sample, string) error
	}
	cols := make([]col, len(header))
	seenT := false
	for i, h := range header {
		h = strings.TrimSpace(h)
		cols[i].name = h
		switch {
		case h == "t_s":
			seenT = true
			cols[i].set = func(s *Sample, v string) error {
				f, err := strconv.ParseFloat(v, 64)
				s.T = f
				return err
			}
		case h == "phase":
			cols[i].set = func(s *Sample, v string) error { s.Phase = v; return nil }
		case h == "psi_some_avg10":
			cols[i].set = func(s *Sample, v string) error {
				if v == "" {
					s.PSISomeAvg10 = Absent
					return nil
				}
				f, err := strconv.ParseFloat(v, 64)
				s.PSISomeAvg10 = f
				return err
			}
		case intColumns[h] != nil:
			field := intColumns[h]
			cols[i].set = func(s *Sample, v string) error {
				if v == "" {
					*field(s) = Absent
					return nil
				}
				n, err := strconv.ParseInt(v, 10, 64)
				*field(s) = n
				return err
			}
		}
	}
	if !seenT {
		return nil, fmt.Errorf("samples.csv line 1: header %q has no t_s column", strings.Join(header, ","))
	}
	var out []Sample
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("samples.csv: %w", err) // csv.ParseError names the line
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if len(rec) != len(header) {
			return out, fmt.Errorf("samples.csv line %d: %d fields, header has %d", line, len(rec), len(header))
		}
		s := AbsentSample(0)
		for i, v := range rec {
			if cols[i].set == nil {
				continue
			}
			if err := cols[i].set(&s, v); err != nil {
				return out, fmt.Errorf("samples.csv line %d column %s: %w", line, cols[i].name, err)
			}
		}
		out = append(out, s)
	}
}
