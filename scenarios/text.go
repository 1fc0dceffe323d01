package scenarios

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/memstorm/memstorm/units"
)

// The text of a scenario file is checked before the YAML library sees it:
// its size, its encoding and its characters. A bad file is refused at the
// first offending byte, in time and memory proportional to its size.

// MaxFileSize is the largest scenario file memstorm reads. Scenarios are a
// few KiB (the largest built-in is under 2 KiB); the bound keeps a wrong
// argument (a log, a core file) from being parsed, and from being copied
// into the run directory and the report. It also bounds what the YAML
// library's scanner costs, which tokenizes a whole file before memstorm
// can count its tokens: 128 KiB of two-byte tokens cost it about 25 MiB.
const MaxFileSize = 128 << 10

// tooBig is the message for a file of n bytes, over MaxFileSize.
func tooBig(n int64) string {
	return fmt.Sprintf("want a scenario file of at most %v, got %s (%d bytes)", Size(MaxFileSize), units.FormatBytes(n), n)
}

// utf8BOM is the byte-order mark some editors write at the start of a
// UTF-8 file. YAML allows it there; it is not part of the first key.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// checkText returns the text of data for the YAML parser: data without a
// leading UTF-8 byte-order mark. It refuses a file over MaxFileSize, a
// file that is not UTF-8 (UTF-16 is named as such) and a character YAML
// does not allow in a file: C0 and C1 control characters other than tab,
// line feed, carriage return and NEL, DEL, and U+FFFE, U+FFFF.
func checkText(data []byte) (string, error) {
	if len(data) > MaxFileSize {
		return "", &ScenarioError{Msg: tooBig(int64(len(data)))}
	}
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return "", &ScenarioError{Line: 1, Col: 1, Msg: "the file is UTF-16 (it starts with a UTF-16 byte-order mark): want UTF-8"}
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return "", &ScenarioError{Line: line, Col: col,
				Msg: fmt.Sprintf("want UTF-8 text, got the byte 0x%02X, which is not UTF-8 (save the file as UTF-8)", data[i])}
		case !printable(r):
			return "", &ScenarioError{Line: line, Col: col,
				Msg: fmt.Sprintf("want text, got the control character %U (YAML allows tab, line breaks and printable characters; write other characters as escapes in double quotes)", r)}
		}
		i += n
		switch {
		case r == '\n', r == '\r' && (i == len(data) || data[i] != '\n'):
			line, col = line+1, 1
		case r != '\r':
			col++
		}
	}
	return string(data), nil
}

// printable is YAML 1.2's c-printable.
func printable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r < 0x20, r >= 0x7F && r < 0xA0:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return true
}
