package rundir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ReadSamples reads samples.csv. Columns are found by the header, so files
// with fewer or more columns than this version writes still read; a column
// it does not know is ignored and one it lacks reads as Absent. An empty
// cell is Absent. Errors name the line.
//
// A run of hours has millions of rows, so the reader parses bytes in place:
// no string or record is allocated per row, integers are read digit by
// digit, and phase names are interned.
func ReadSamples(r io.Reader) ([]Sample, error) { return readSamples(r, 0) }

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
// result once instead of growing it row by row.
func readSamples(r io.Reader, size int64) ([]Sample, error) {
	lr := csvLines{br: bufio.NewReaderSize(r, 1<<16)}
	header, line, err := lr.next()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("samples.csv line 1: no header")
	}
	if err != nil {
		return nil, fmt.Errorf("samples.csv line %d: %w", line, err)
	}
	names := make([]string, len(header))
	kinds := make([]colKind, len(header))
	fields := make([]func(*Sample) *int64, len(header))
	seenT := false
	for i, h := range header {
		names[i] = strings.TrimSpace(string(h))
		switch n := names[i]; {
		case n == "t_s":
			kinds[i], seenT = colT, true
		case n == "phase":
			kinds[i] = colPhase
		case n == "psi_some_avg10":
			kinds[i] = colPSI
		case intColumns[n] != nil:
			kinds[i], fields[i] = colInt, intColumns[n]
		}
	}
	if !seenT {
		return nil, fmt.Errorf("samples.csv line 1: header %q has no t_s column", strings.Join(names, ","))
	}
	var out []Sample
	phases := map[string]string{}
	lastPhase := ""
	for rows := 0; ; rows++ {
		if rows == 256 && size > 0 {
			// Size the slice from the bytes the first rows took.
			est := int(float64(size)/float64(lr.read)*float64(rows)*1.02) + 16
			if est > cap(out) {
				grown := make([]Sample, len(out), est)
				copy(grown, out)
				out = grown
			}
		}
		rec, line, err := lr.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("samples.csv line %d: %w", line, err)
		}
		if len(rec) == 1 && len(rec[0]) == 0 {
			continue
		}
		if len(rec) != len(header) {
			return out, fmt.Errorf("samples.csv line %d: %d fields, header has %d", line, len(rec), len(header))
		}
		out = append(out, absentSample)
		s := &out[len(out)-1]
		for i, v := range rec {
			var err error
			switch kinds[i] {
			case colT:
				s.T, err = parseFloat(v)
			case colPhase:
				if string(v) != lastPhase {
					p, ok := phases[string(v)]
					if !ok {
						p = string(v)
						phases[p] = p
					}
					lastPhase = p
				}
				s.Phase = lastPhase
			case colPSI:
				if len(v) > 0 {
					s.PSISomeAvg10, err = parseFloat(v)
				}
			case colInt:
				if len(v) > 0 {
					*fields[i](s), err = parseInt(v)
				}
			}
			if err != nil {
				return out[:len(out)-1], fmt.Errorf("samples.csv line %d column %s: %w", line, names[i], err)
			}
		}
	}
}

// csvLines splits CSV text into records of fields that point into a reused
// buffer: valid until the next call. It knows RFC 4180 quoting (a quoted
// field may hold commas, doubled quotes and line breaks).
type csvLines struct {
	br     *bufio.Reader
	line   int   // lines read so far
	read   int64 // bytes read so far
	buf    []byte
	fields [][]byte
	ends   []int
}

// next returns the next record and the line it starts on; io.EOF at the end.
func (c *csvLines) next() ([][]byte, int, error) {
	raw, err := c.readLine()
	if err != nil {
		return nil, c.line + 1, err
	}
	c.line++
	start := c.line
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
// valid until the next call.
func (c *csvLines) readLine() ([]byte, error) {
	b, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = c.br.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	if len(b) == 0 && err != nil {
		return nil, err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	c.read += int64(len(b))
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
