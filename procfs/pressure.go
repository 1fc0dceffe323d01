package procfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
)

// PSILine is one line of a pressure file: the share of wall time (percent,
// 0-100) some or all tasks were stalled on the resource, averaged over 10 s, 60 s
// and 300 s, and the total stall time in microseconds.
type PSILine struct {
	Avg10  float64
	Avg60  float64
	Avg300 float64
	Total  uint64 // microseconds
}

// PSI is one pressure file: /proc/pressure/{memory,io,cpu} for the whole
// system, or a cgroup v2 memory.pressure (the same format).
//
// Every pressure file has a "some" line. The "full" line is there in every
// memory and io file, but /proc/pressure/cpu (and cgroup cpu.pressure) only
// gained it in Linux 5.13, so the parser treats it as optional and says
// whether it was there: a missing "full" line is FullPresent false, never a
// zero reading. A caller that needs "full" checks FullPresent.
type PSI struct {
	Some        PSILine // at least one task stalled
	Full        PSILine // all non-idle tasks stalled at once; zero and meaningless unless FullPresent
	FullPresent bool    // the "full" line exists
}

// PressureMemory reads <root>/pressure/memory. Without PSI in the kernel the
// error wraps ErrPSIUnavailable (and fs.ErrNotExist or EOPNOTSUPP).
func (fsys FS) PressureMemory() (PSI, error) {
	return ReadPressureFile(fsys.Path("pressure", "memory"))
}

// ReadPressureFile reads a pressure file at path, e.g. a cgroup v2
// memory.pressure. An absent file, or PSI disabled at boot, gives an error
// wrapping ErrPSIUnavailable; any other failure does not.
func ReadPressureFile(path string) (PSI, error) {
	p, err := readFile(path, ParsePressure)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EOPNOTSUPP) {
		return PSI{}, fmt.Errorf("%w: %w", ErrPSIUnavailable, err)
	}
	return p, err
}

// ParsePressure parses a pressure file: a required "some" line and an
// optional "full" line (see PSI), each "avg10=F avg60=F avg300=F total=N".
// The kernel always writes all four keys, so a line missing one is a torn
// read; it, an unknown line, or a file without "some" is an error wrapping
// ErrMalformed. Blank lines are skipped.
func ParsePressure(r io.Reader) (PSI, error) {
	var p PSI
	somePresent := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		words := strings.Fields(sc.Text())
		if len(words) == 0 {
			continue
		}
		var dst *PSILine
		switch words[0] {
		case "some":
			dst, somePresent = &p.Some, true
		case "full":
			dst, p.FullPresent = &p.Full, true
		default:
			return PSI{}, fmt.Errorf("%w: pressure: unknown line %q", ErrMalformed, sc.Text())
		}
		if err := parsePSILine(words[1:], dst); err != nil {
			return PSI{}, fmt.Errorf("%w: pressure: %s line: %v", ErrMalformed, words[0], err)
		}
	}
	if err := sc.Err(); err != nil {
		return PSI{}, err
	}
	if !somePresent {
		return PSI{}, fmt.Errorf("%w: pressure: no \"some\" line", ErrMalformed)
	}
	return p, nil
}

func parsePSILine(kvs []string, l *PSILine) error {
	const all = 1<<4 - 1
	seen := 0
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q is not key=value", kv)
		}
		var err error
		switch k {
		case "avg10":
			l.Avg10, err = strconv.ParseFloat(v, 64)
			seen |= 1
		case "avg60":
			l.Avg60, err = strconv.ParseFloat(v, 64)
			seen |= 2
		case "avg300":
			l.Avg300, err = strconv.ParseFloat(v, 64)
			seen |= 4
		case "total":
			l.Total, err = strconv.ParseUint(v, 10, 64)
			seen |= 8
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	if seen != all {
		return fmt.Errorf("want avg10, avg60, avg300 and total, got %q", strings.Join(kvs, " "))
	}
	return nil
}
