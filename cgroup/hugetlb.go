package cgroup

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/units"
)

// HugeTLBFailures is how often the hugetlb controller refused a huge page
// to the group at its limit, summed over the page sizes: v2
// hugetlb.<size>.events "max", v1 hugetlb.<size>.failcnt. A refused fault
// is a SIGBUS to the faulting process, not an OOM kill. It is
// units.Absent when the group's directory has no hugetlb files (the
// controller is not enabled for it, or on v1 it sits on another hierarchy).
func (g *Group) HugeTLBFailures() (int64, error) { return hugeTLBFailures(g.version, g.dir) }

func hugeTLBFailures(version int, dir string) (int64, error) {
	pattern := "hugetlb.*.events"
	if version == 1 {
		pattern = "hugetlb.*.failcnt"
	}
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return units.Absent, fmt.Errorf("listing %s: %w", filepath.Join(dir, pattern), err)
	}
	if len(files) == 0 {
		return units.Absent, nil
	}
	var sum int64
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return units.Absent, fmt.Errorf("reading hugetlb failures: %w", err)
		}
		var n int64
		if version == 1 {
			n, err = parseFailcnt(f)
		} else {
			n, err = ParseHugeTLBEvents(f)
		}
		_ = f.Close()
		if err != nil {
			return units.Absent, fmt.Errorf("reading %s: %w", name, err)
		}
		sum += n
	}
	return sum, nil
}

// ParseHugeTLBEvents returns the "max" count of a v2 hugetlb.<size>.events
// file: faults refused at hugetlb.<size>.max.
func ParseHugeTLBEvents(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(io.LimitReader(r, 4096))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || k != "max" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("hugetlb events: max %q is not a count", v)
		}
		return n, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("hugetlb events: %w", err)
	}
	return 0, fmt.Errorf("hugetlb events: no \"max\" line")
}

// parseFailcnt reads one v1 failcnt counter.
func parseFailcnt(r io.Reader) (int64, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64))
	if err != nil {
		return 0, fmt.Errorf("failcnt: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("failcnt %q is not a count", strings.TrimSpace(string(b)))
	}
	return n, nil
}

// hugeTLBKernelName is the kernel's name of a huge page size in the
// hugetlb controller's file names ("2MB", "1GB").
func hugeTLBKernelName(pageBytes int64) (string, error) {
	switch {
	case pageBytes >= 1<<30 && pageBytes%(1<<30) == 0:
		return strconv.FormatInt(pageBytes>>30, 10) + "GB", nil
	case pageBytes >= 1<<20 && pageBytes%(1<<20) == 0:
		return strconv.FormatInt(pageBytes>>20, 10) + "MB", nil
	case pageBytes >= 1<<10 && pageBytes%(1<<10) == 0:
		return strconv.FormatInt(pageBytes>>10, 10) + "KB", nil
	}
	return "", fmt.Errorf("huge page size %d bytes: not a whole KiB", pageBytes)
}
