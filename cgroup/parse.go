package cgroup

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/units"
)

// This file holds the parsers of the cgroup interface files. The files of
// /proc (mountinfo, /proc/self/cgroup) and the pressure files, which have
// the same format under /proc/pressure and in a cgroup, are parsed by
// package procfs.

// parseFile opens path and runs parse on it, wrapping errors with the path.
func parseFile[T any](path string, parse func(r io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("parsing %s: %w", path, err)
	}
	return v, nil
}

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
func parseLimit(r io.Reader) (units.Limit, error) {
	s, err := readOneLine(r)
	if err != nil {
		return units.Limit{}, err
	}
	if s == "max" {
		return units.Unlimited, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return units.Limit{}, fmt.Errorf("limit %q: %w", s, err)
	}
	if v < 0 || v >= unlimitedFloor {
		// v1 accepts -1 on write and may echo it on some kernels.
		return units.Unlimited, nil
	}
	return units.BytesLimit(v), nil
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
