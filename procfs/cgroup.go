package procfs

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// CgroupLine is one line of /proc/<pid>/cgroup: "hierarchy-ID:controllers:path".
type CgroupLine struct {
	HierarchyID int      // 0 for the cgroup v2 unified hierarchy
	Controllers []string // e.g. ["cpu" "cpuacct"], ["name=systemd"]; nil for v2
	Path        string   // relative to the hierarchy's root, e.g. /user.slice/session-1.scope
}

// Cgroups reads /proc/<pid>/cgroup.
func (p Proc) Cgroups() ([]CgroupLine, error) {
	return readFile(p.Path("cgroup"), ParseCgroups)
}

// ParseCgroups parses the text of /proc/<pid>/cgroup. Blank lines are
// skipped. Every other line must be "ID:controllers:path" with a
// non-negative ID and an absolute path: the kernel writes one even for a
// cgroup outside the reader's cgroup namespace ("/../.."), so an empty or
// relative path is a torn line, an error wrapping ErrMalformed.
func ParseCgroups(r io.Reader) ([]CgroupLine, error) {
	var lines []CgroupLine
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		// The path may itself contain ':', so split into exactly three.
		parts := strings.SplitN(text, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("%w: cgroup: line %q has %d fields, want 3", ErrMalformed, text, len(parts))
		}
		id, err := strconv.Atoi(parts[0])
		if err != nil || id < 0 {
			return nil, fmt.Errorf("%w: cgroup: line %q: hierarchy ID %q", ErrMalformed, text, parts[0])
		}
		if !strings.HasPrefix(parts[2], "/") {
			return nil, fmt.Errorf("%w: cgroup: line %q: path %q is not absolute", ErrMalformed, text, parts[2])
		}
		l := CgroupLine{HierarchyID: id, Path: parts[2]}
		if parts[1] != "" {
			l.Controllers = strings.Split(parts[1], ",")
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return lines, nil
}

// CgroupV1Path finds the path of the v1 hierarchy that holds controller
// (e.g. "memory"); ok is false when no v1 hierarchy has it.
func CgroupV1Path(lines []CgroupLine, controller string) (path string, ok bool) {
	for _, l := range lines {
		if l.HierarchyID != 0 && slices.Contains(l.Controllers, controller) {
			return l.Path, true
		}
	}
	return "", false
}

// CgroupV2Path finds the path in the unified hierarchy (the "0::" line); ok
// is false on a pure v1 host.
func CgroupV2Path(lines []CgroupLine) (path string, ok bool) {
	for _, l := range lines {
		if l.HierarchyID == 0 && len(l.Controllers) == 0 {
			return l.Path, true
		}
	}
	return "", false
}
