package cgroup

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// unlimitedFloor is the smallest value read as "unlimited". cgroup v1 has no
// "max" keyword: an unlimited limit reads as PAGE_COUNTER_MAX*PAGE_SIZE, which
// is 9223372036854771712 with 4 KiB pages and slightly less with 16/64 KiB
// pages. No machine has 2^62 bytes (4 EiB) of memory, so anything at or above
// it can only be that sentinel.
const unlimitedFloor = int64(1) << 62

// parseFlatKeyed parses "key value" lines (memory.events, memory.stat,
// memory.oom_control). Blank lines are skipped; any other line that is not
// exactly two fields with an integer value is an error.
func parseFlatKeyed(r io.Reader) (map[string]int64, error) {
	out := make(map[string]int64)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d %q: want \"key value\"", n, line)
		}
		v, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n, line, err)
		}
		out[fields[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// readOneLine returns the single trimmed line of a one-value cgroup file;
// an empty file is an error (a kernel file is never empty, so the read was
// cut short).
func readOneLine(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", err
	}
	s := string(bytes.TrimSpace(b))
	if s == "" {
		return "", fmt.Errorf("empty value")
	}
	if strings.ContainsAny(s, " \n\t") {
		return "", fmt.Errorf("want one value, got %q", s)
	}
	return s, nil
}

// parseLimit parses a limit file: memory.max / memory.high / memory.swap.max
// ("max" or bytes) or memory.limit_in_bytes and friends (bytes, with the
// page-counter maximum meaning unlimited). Unlimited is returned as -1.
func parseLimit(r io.Reader) (int64, error) {
	s, err := readOneLine(r)
	if err != nil {
		return 0, err
	}
	if s == "max" {
		return -1, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("limit %q: %w", s, err)
	}
	if v < 0 || v >= unlimitedFloor {
		// v1 accepts -1 on write and may echo it on some kernels.
		return -1, nil
	}
	return v, nil
}

// parseCounter parses a single non-negative integer (memory.current,
// memory.usage_in_bytes, memory.failcnt, memory.peak, ...).
func parseCounter(r io.Reader) (int64, error) {
	s, err := readOneLine(r)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("counter %q: %w", s, err)
	}
	if v < 0 {
		return 0, fmt.Errorf("counter %q: negative", s)
	}
	return v, nil
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

// parsePSI parses a pressure file ("some avg10=.. avg60=.. avg300=.. total=.."
// and a "full" line). Both lines must be present.
func parsePSI(r io.Reader) (PSI, error) {
	var p PSI
	var seenSome, seenFull bool
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		var avg10 float64
		var total int64
		var haveAvg, haveTotal bool
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return PSI{}, fmt.Errorf("line %d: field %q is not key=value", n, f)
			}
			var err error
			switch k {
			case "avg10":
				avg10, err = strconv.ParseFloat(v, 64)
				haveAvg = true
			case "total":
				total, err = strconv.ParseInt(v, 10, 64)
				haveTotal = true
			}
			if err != nil {
				return PSI{}, fmt.Errorf("line %d: %s: %w", n, f, err)
			}
		}
		if !haveAvg || !haveTotal {
			return PSI{}, fmt.Errorf("line %d %q: missing avg10 or total", n, sc.Text())
		}
		switch fields[0] {
		case "some":
			p.SomeAvg10, p.SomeTotal, seenSome = avg10, total, true
		case "full":
			p.FullAvg10, p.FullTotal, seenFull = avg10, total, true
		default:
			return PSI{}, fmt.Errorf("line %d: unknown kind %q", n, fields[0])
		}
	}
	if err := sc.Err(); err != nil {
		return PSI{}, err
	}
	if !seenSome || !seenFull {
		return PSI{}, fmt.Errorf("want both some and full lines")
	}
	p.OK = true
	return p, nil
}

// parseProcs parses cgroup.procs: one PID per line.
func parseProcs(r io.Reader) ([]int, error) {
	var pids []int
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		pid, err := strconv.Atoi(s)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("pid %q: not a positive integer", s)
		}
		pids = append(pids, pid)
	}
	return pids, sc.Err()
}
