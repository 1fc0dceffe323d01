package procfs

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Mount is one line of /proc/<pid>/mountinfo (see proc(5)).
type Mount struct {
	MountID        int
	ParentID       int
	Major, Minor   int
	Root           string   // the mounted directory of the filesystem, e.g. /docker/<id> for a cgroup namespace-less container
	MountPoint     string   // where it is mounted, escapes (\040 ...) decoded
	Options        []string // per-mount options, e.g. rw, relatime
	OptionalFields []string // e.g. shared:1, master:2
	FSType         string   // e.g. cgroup, cgroup2, proc
	Source         string
	SuperOptions   []string // per-superblock options; a v1 cgroup lists its controllers here
}

// Mountinfo reads /proc/<pid>/mountinfo.
func (p Proc) Mountinfo() ([]Mount, error) {
	return readFile(p.Path("mountinfo"), ParseMountinfo)
}

// ParseMountinfo parses the text of /proc/<pid>/mountinfo. Blank lines are
// skipped; a line without the " - " separator or with too few fields is an
// error wrapping ErrMalformed.
func ParseMountinfo(r io.Reader) ([]Mount, error) {
	var ms []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		m, err := parseMountLine(text)
		if err != nil {
			return nil, fmt.Errorf("%w: mountinfo: line %q: %v", ErrMalformed, text, err)
		}
		ms = append(ms, m)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return ms, nil
}

func parseMountLine(text string) (Mount, error) {
	fields := strings.Fields(text)
	sep := slices.Index(fields, "-")
	if sep < 0 {
		return Mount{}, fmt.Errorf("no \" - \" separator")
	}
	pre, post := fields[:sep], fields[sep+1:]
	if len(pre) < 6 {
		return Mount{}, fmt.Errorf("%d fields before the separator, want at least 6", len(pre))
	}
	if len(post) < 2 {
		return Mount{}, fmt.Errorf("%d fields after the separator, want at least 2", len(post))
	}
	var m Mount
	var err error
	if m.MountID, err = strconv.Atoi(pre[0]); err != nil {
		return Mount{}, fmt.Errorf("mount ID: %w", err)
	}
	if m.ParentID, err = strconv.Atoi(pre[1]); err != nil {
		return Mount{}, fmt.Errorf("parent ID: %w", err)
	}
	maj, min, ok := strings.Cut(pre[2], ":")
	if !ok {
		return Mount{}, fmt.Errorf("device %q is not major:minor", pre[2])
	}
	if m.Major, err = strconv.Atoi(maj); err != nil {
		return Mount{}, fmt.Errorf("device major: %w", err)
	}
	if m.Minor, err = strconv.Atoi(min); err != nil {
		return Mount{}, fmt.Errorf("device minor: %w", err)
	}
	m.Root = unescapeMount(pre[3])
	m.MountPoint = unescapeMount(pre[4])
	m.Options = strings.Split(pre[5], ",")
	if len(pre) > 6 {
		m.OptionalFields = pre[6:]
	}
	m.FSType = post[0]
	m.Source = unescapeMount(post[1])
	if len(post) > 2 {
		m.SuperOptions = strings.Split(post[2], ",")
	}
	return m, nil
}

// unescapeMount decodes the octal escapes the kernel writes for space, tab,
// newline and backslash (\040, \011, \012, \134). It is the only octal
// unescaper of mountinfo fields in memstorm. A backslash not followed by
// three octal digits that make one byte (\000 to \377) is kept as it is.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// CgroupV1Mount finds the cgroup v1 mount that holds controller (e.g.
// "memory"); ok is false when none does.
func CgroupV1Mount(ms []Mount, controller string) (m Mount, ok bool) {
	for _, m := range ms {
		if m.FSType == "cgroup" && slices.Contains(m.SuperOptions, controller) {
			return m, true
		}
	}
	return Mount{}, false
}

// CgroupV2Mount finds the cgroup2 (unified) mount: /sys/fs/cgroup on a v2
// host, /sys/fs/cgroup/unified on a hybrid one. ok is false when none is
// mounted.
func CgroupV2Mount(ms []Mount) (m Mount, ok bool) {
	for _, m := range ms {
		if m.FSType == "cgroup2" {
			return m, true
		}
	}
	return Mount{}, false
}
