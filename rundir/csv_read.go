package rundir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/memstorm/memstorm/units"
)

// ReadSamples reads samples.csv. Columns are found by the header, so files
// with fewer or more columns than this version writes still read; a column
// it does not know is ignored and one it lacks reads as Absent. An empty
// cell is Absent; blank lines are skipped. More than MaxSampleLines lines,
// a record longer than MaxSampleRecordBytes or a malformed row is an
// InputError naming the line.
//
// A run of hours has millions of rows, so the reader parses bytes in place:
// no string or record is allocated per row, integers are read digit by
// digit, and phase names are interned.
func ReadSamples(r io.Reader) ([]Sample, error) { return readSamples(r, 0, SamplesFile) }

// colKind says what a column of samples.csv sets.
type colKind int

const (
	colSkip colKind = iota
	colT
	colPhase
	colPSI
	colInt // the int64 field intColumns names
)

// readSamples is ReadSamples with the file's size, when known, to size the
// result once instead of growing it row by row, and the path errors name.
func readSamples(r io.Reader, size int64, path string) ([]Sample, error) {
	var out []Sample
	sized := false
	err := scanSamplesSized(r, path, func(s *Sample, rowBytes int64) error {
		if !sized && len(out) == 256 && size > 0 {
			// Size the slice from the bytes the first rows took, within
			// the bound on rows: blank lines do not count as rows.
			sized = true
			est := int(min(float64(size)/float64(rowBytes)*float64(len(out))*1.02+16, MaxSampleLines))
			if est > cap(out) {
				grown := make([]Sample, len(out), est)
				copy(grown, out)
				out = grown
			}
		}
		out = append(out, *s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ScanSamples reads samples.csv as ReadSamples does, handing each sample
// to each in file order instead of keeping them: the pointer is valid only
// during the call. An error of each ends the scan and is returned.
func ScanSamples(r io.Reader, path string, each func(*Sample) error) error {
	return scanSamples(r, path, each)
}

func scanSamples(r io.Reader, path string, each func(*Sample) error) error {
	return scanSamplesSized(r, path, func(s *Sample, _ int64) error { return each(s) })
}

// scanSamplesSized is scanSamples that also tells each the bytes of the
// rows read so far.
func scanSamplesSized(r io.Reader, path string, each func(*Sample, int64) error) error {
	lr := &csvLines{br: bufio.NewReaderSize(r, 1<<16)}
	cols, err := readHeader(lr, path)
	if err != nil {
		return err
	}
	return scanRows(lr, cols, path, each)
}

// errTooManyLines is the fault of a samples.csv over MaxSampleLines lines.
var errTooManyLines = fmt.Errorf("more than %d lines", MaxSampleLines)

// readError is a failure of the reader under csvLines, not of the text.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// csvLines splits CSV text into records of fields that point into a reused
// buffer: valid until the next call. It knows RFC 4180 quoting (a quoted
// field may hold commas, doubled quotes and line breaks). It refuses more
// than MaxSampleLines lines and records longer than MaxSampleRecordBytes.
type csvLines struct {
	br       *bufio.Reader
	line     int   // lines read so far
	recBytes int64 // bytes of the last record returned
	rowBytes int64 // bytes of the rows so far (kept by the caller)
	buf      []byte
	fields   [][]byte
	ends     []int
}

// next returns the next record and the line it starts on; io.EOF at the end.
func (c *csvLines) next() ([][]byte, int, error) {
	c.recBytes = 0
	raw, err := c.readLine()
	if err != nil {
		return nil, c.line + 1, err
	}
	c.line++
	start := c.line
	if bytes.IndexByte(raw, '"') < 0 {
		// No quoting (every row memstorm writes): the fields are the
		// line's own bytes between commas.
		c.fields = c.fields[:0]
		for {
			i := bytes.IndexByte(raw, ',')
			if i < 0 {
				c.fields = append(c.fields, raw)
				return c.fields, start, nil
			}
			c.fields = append(c.fields, raw[:i])
			raw = raw[i+1:]
		}
	}
	c.buf, c.ends = c.buf[:0], c.ends[:0]
	for {
		quoted := false
		if len(raw) > 0 && raw[0] == '"' {
			quoted = true
			raw = raw[1:]
			for {
				i := bytes.IndexByte(raw, '"')
				if i < 0 { // the field goes on past this line
					c.buf = append(c.buf, raw...)
					c.buf = append(c.buf, '\n')
					if raw, err = c.readLine(); err != nil {
						if errors.Is(err, io.EOF) {
							err = fmt.Errorf("quoted field opened on line %d is never closed", start)
						}
						return nil, start, err
					}
					c.line++
					continue
				}
				c.buf = append(c.buf, raw[:i]...)
				raw = raw[i+1:]
				if len(raw) > 0 && raw[0] == '"' {
					c.buf = append(c.buf, '"')
					raw = raw[1:]
					continue
				}
				break
			}
		}
		i := bytes.IndexByte(raw, ',')
		if i < 0 {
			i = len(raw)
		}
		if quoted && i > 0 {
			return nil, start, fmt.Errorf("text %q after a quoted field", raw[:i])
		}
		c.buf = append(c.buf, raw[:i]...)
		c.ends = append(c.ends, len(c.buf))
		if i == len(raw) {
			break
		}
		raw = raw[i+1:]
	}
	c.fields = c.fields[:0]
	from := 0
	for _, e := range c.ends {
		c.fields = append(c.fields, c.buf[from:e])
		from = e
	}
	return c.fields, start, nil
}

// readLine returns the next line without its line ending; the slice is
// valid until the next call. The line count and the record's length are
// checked against their bounds here, before anything is kept.
func (c *csvLines) readLine() ([]byte, error) {
	if c.line >= MaxSampleLines {
		if _, err := c.br.Peek(1); err == nil {
			return nil, errTooManyLines
		}
	}
	b, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if c.recBytes+int64(len(long)) > MaxSampleRecordBytes {
				return nil, fmt.Errorf("record longer than %s", units.FormatBytes(MaxSampleRecordBytes))
			}
			b, err = c.br.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	if len(b) == 0 && err != nil {
		if errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, readError{err}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, readError{err}
	}
	if c.recBytes += int64(len(b)); c.recBytes > MaxSampleRecordBytes {
		return nil, fmt.Errorf("record longer than %s", units.FormatBytes(MaxSampleRecordBytes))
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, nil
}

// parseInt reads a decimal int64 without allocating.
func parseInt(b []byte) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 {
		return 0, fmt.Errorf("invalid integer %q", b)
	}
	var n uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid integer %q", b)
		}
		if n > (math.MaxInt64-uint64(c-'0'))/10 {
			return 0, fmt.Errorf("integer %q out of range", b)
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		return -int64(n), nil
	}
	return int64(n), nil
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat reads a decimal float. Plain decimals of up to 15 significant
// digits (what the writer produces for seconds) take the exact fast path:
// both the digits and the power of ten are exact in a float64, so one
// division rounds correctly, as strconv.ParseFloat would. Anything else goes
// to strconv.
func parseFloat(b []byte) (float64, error) {
	var m uint64
	digits, frac := 0, -1
	neg := len(b) > 0 && b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	fast := len(d) > 0
	for i, c := range d {
		switch {
		case c >= '0' && c <= '9':
			if m > 0 || c != '0' {
				digits++
			}
			m = m*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0 && i+1 < len(d):
			frac = 0
		default:
			fast = false
		}
		if !fast || digits > 15 {
			fast = false
			break
		}
	}
	if fast && frac < len(pow10) {
		v := float64(m)
		if frac > 0 {
			v /= pow10[frac]
		}
		if neg {
			v = -v
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", b)
	}
	return f, nil
}
