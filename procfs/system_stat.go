package procfs

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// BootTime reads the "btime" line of <root>/stat (the system-wide
// /proc/stat, not a process's stat): when the system booted, in seconds since
// the epoch. A process's start time in its stat is counted from this.
func (fs FS) BootTime() (int64, error) {
	return readFile(fs.Path("stat"), ParseBootTime)
}

// ParseBootTime returns the value of the "btime" line of /proc/stat. The
// file is read whole: its "intr" line grows with the number of interrupts
// and can outgrow a line scanner's buffer on a large machine. A file without
// a btime line, or with one that is not a non-negative number, is an error
// wrapping ErrMalformed.
func ParseBootTime(r io.Reader) (int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		v, ok := bytes.CutPrefix(line, []byte("btime "))
		if !ok {
			continue
		}
		bt, err := strconv.ParseInt(string(trimSpace(v)), 10, 64)
		if err != nil || bt < 0 {
			return 0, fmt.Errorf("%w: stat: btime %q", ErrMalformed, v)
		}
		return bt, nil
	}
	return 0, fmt.Errorf("%w: stat: no btime line", ErrMalformed)
}
