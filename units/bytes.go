package units

import (
	"math"
	"strconv"
)

// Absent is the value of a measured byte (or count) figure that was not
// measured: no cgroup, no PSI, an allocator without that statistic. It is a
// value, not an error. It is the only negative value a measured figure takes.
const Absent int64 = -1

// Known reports whether a measured figure holds a measurement.
func Known(v int64) bool { return v >= 0 }

// binaryUnits are the binary units bytes are written in, largest first.
var binaryUnits = []struct {
	name  string
	bytes int64
}{
	{"TiB", 1 << 40},
	{"GiB", 1 << 30},
	{"MiB", 1 << 20},
	{"KiB", 1 << 10},
	{"B", 1},
}

// FormatBytes writes a byte count for people: the largest binary unit that
// keeps the number at or above 1, with three significant digits at most
// ("512 B", "4 KiB", "276 MiB", "1.5 GiB"). Absent is "absent". Other
// negative values are differences and carry their sign ("-3.5 MiB").
func FormatBytes(n int64) string {
	if n == Absent {
		return "absent"
	}
	if n < 0 {
		return "-" + FormatBytesF(-float64(n))
	}
	return FormatBytesF(float64(n))
}

// FormatBytesF is FormatBytes for a non-negative figure held as a float
// (an average, an axis tick).
func FormatBytesF(v float64) string {
	name, size := ByteUnit(v)
	return TrimNum(v/size) + " " + name
}

// ByteUnit picks the largest binary unit in which |v| is at least 1, and
// its size in bytes.
func ByteUnit(v float64) (string, float64) {
	a := math.Abs(v)
	for _, u := range binaryUnits {
		if a >= float64(u.bytes) {
			return u.name, float64(u.bytes)
		}
	}
	return "B", 1
}

// TrimNum writes v with three significant digits at most and no trailing
// zeros ("276", "27.5", "1.25", "0").
func TrimNum(v float64) string {
	a := math.Abs(v)
	prec := 0
	switch {
	case a == 0:
	case a < 10:
		prec = 2
	case a < 100:
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if prec > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	return s
}
