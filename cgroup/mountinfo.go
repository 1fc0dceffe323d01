package cgroup

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// mount is one cgroup line of /proc/self/mountinfo.
type mount struct {
	root       string   // field 4: the path inside the hierarchy that is mounted
	mountpoint string   // field 5
	fstype     string   // "cgroup" or "cgroup2"
	superOpts  []string // controller names for v1 (e.g. "rw", "memory")
}

// has reports whether opt is one of the super options (a v1 controller).
func (m mount) has(opt string) bool {
	for _, o := range m.superOpts {
		if o == opt {
			return true
		}
	}
	return false
}

// parseMountinfo returns the cgroup and cgroup2 mounts of a
// /proc/<pid>/mountinfo file, in file order. Lines of other file systems are
// skipped; a cgroup line too short to hold its fields is an error.
func parseMountinfo(r io.Reader) ([]mount, error) {
	var out []mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			return nil, fmt.Errorf("mountinfo line %d %q: no \" - \" separator", n, line)
		}
		tail := strings.Fields(post)
		if len(tail) < 1 {
			return nil, fmt.Errorf("mountinfo line %d %q: no file system type", n, line)
		}
		if tail[0] != "cgroup" && tail[0] != "cgroup2" {
			continue
		}
		head := strings.Fields(pre)
		if len(head) < 6 || len(tail) < 3 {
			return nil, fmt.Errorf("mountinfo line %d %q: too few fields", n, line)
		}
		out = append(out, mount{
			root:       unescapeOctal(head[3]),
			mountpoint: unescapeOctal(head[4]),
			fstype:     tail[0],
			superOpts:  strings.Split(tail[2], ","),
		})
	}
	return out, sc.Err()
}

// unescapeOctal undoes the kernel's \ooo escaping of space, tab, newline and
// backslash in mountinfo paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// procCgroup is one line of /proc/self/cgroup: "id:controllers:path".
type procCgroup struct {
	id          int
	controllers []string // empty for the v2 line "0::/path"
	path        string
}

// parseProcCgroup parses /proc/<pid>/cgroup. The path may itself contain
// colons, so only the first two separate fields.
func parseProcCgroup(r io.Reader) ([]procCgroup, error) {
	var out []procCgroup
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("cgroup line %d %q: want id:controllers:path", n, line)
		}
		id, err := strconv.Atoi(parts[0])
		if err != nil {
			return nil, fmt.Errorf("cgroup line %d %q: id: %w", n, line, err)
		}
		if !strings.HasPrefix(parts[2], "/") {
			return nil, fmt.Errorf("cgroup line %d %q: path is not absolute", n, line)
		}
		pc := procCgroup{id: id, path: parts[2]}
		if parts[1] != "" {
			pc.controllers = strings.Split(parts[1], ",")
		}
		out = append(out, pc)
	}
	return out, sc.Err()
}
