package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/memstorm/memstorm/units"
)

// Size is a byte count. In scenario files it is written as a whole number of
// bytes (4096) or a number with a binary unit: B, KiB, MiB, GiB, TiB
// ("4KiB", "1.5MiB"). The decimal units KB, MB, GB, TB (and K, M, G, T) are
// refused as ambiguous: people write MB meaning MiB, and a harness that
// sizes allocations must not guess which.
type Size int64

// MaxSize is the largest size a scenario or a flag may give: 1024 TiB,
// past any machine's memory (x86-64 user space is 128 TiB), and small
// enough that sums and products of a few sizes (a target plus an object
// per worker, an rlimit on top of the worker's mappings) cannot overflow.
const MaxSize = Size(1 << 50)

// ParseSize parses a size such as "4096", "4KiB" or "1.5MiB" (see
// units.ParseBytes) of at most MaxSize.
func ParseSize(s string) (Size, error) {
	v, err := units.ParseBytes(s)
	if err != nil {
		return 0, err
	}
	return checkMaxSize(s, Size(v))
}

func checkMaxSize(text string, v Size) (Size, error) {
	if v > MaxSize {
		return 0, fmt.Errorf("want a size of at most %v, got %q", MaxSize, text)
	}
	return v, nil
}

// String prints the size exactly, in the largest binary unit that shows it
// with at most three decimals ("4KiB", "1.5MiB"), so that it parses back.
func (s Size) String() string { return units.ExactBytes(int64(s)) }

// sizeWant is the grammar reminder every size error carries.
const sizeWant = units.SizeWant

// Percent is a percentage, written "95%" in scenario files and held as 95.
type Percent float64

// ParsePercent parses "95%" or "99.5%". The percent sign is required so that
// 0.95 and 95 cannot be confused.
func ParsePercent(s string) (Percent, error) {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	if !ok {
		return 0, fmt.Errorf("want a percentage like 95%%, got %q", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || strings.ContainsAny(num, "+-") {
		return 0, fmt.Errorf("want a percentage like 95%%, got %q", s)
	}
	return Percent(v), nil
}

// String prints the percentage with its sign ("95%", "99.5%").
func (p Percent) String() string {
	return strconv.FormatFloat(float64(p), 'f', -1, 64) + "%"
}

// Duration is a time span written in Go syntax in scenario files ("20ms",
// "1.5s", "2m").
type Duration time.Duration

// MaxDuration is the longest duration a scenario may give (a hold, an
// until.duration, sample_every): a day. A scenario is an experiment one
// watches; a typo such as 2562047h (the largest Go duration) should not
// start a run that never ends.
const MaxDuration = Duration(24 * time.Hour)

const maxDurationText = "24h" // MaxDuration as one writes it

// ParseDuration parses a positive Go duration of at most MaxDuration. A
// bare number is refused: its unit would be a guess.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("want a duration like 20ms or 1.5s, got %q", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("want a positive duration like 20ms or 1.5s, got %q", s)
	}
	if Duration(d) > MaxDuration {
		return 0, fmt.Errorf("want a duration of at most %s, got %q", maxDurationText, s)
	}
	return Duration(d), nil
}

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String prints the duration in Go syntax ("20ms", "1.5s").
func (d Duration) String() string { return time.Duration(d).String() }

// The decodeNode methods read the types from scenario files (see decoder).

func (s *Size) decodeNode(_ *decoder, n ast.Node, path string) error {
	text, err := scalar(n, path, sizeWant)
	if err != nil {
		return err
	}
	if in, ok := n.(*ast.IntegerNode); ok {
		// 0x1000 and 1_000 are YAML integers too; use the parsed value.
		if i, ok := intValue(in); ok && i >= 0 {
			v, err := checkMaxSize(text, Size(i))
			if err != nil {
				return errAt(n, path, "%v", err)
			}
			*s = v
			return nil
		}
	}
	v, err := ParseSize(text)
	if err != nil {
		return errAt(n, path, "%v", err)
	}
	*s = v
	return nil
}

func (p *Percent) decodeNode(_ *decoder, n ast.Node, path string) error {
	text, err := scalar(n, path, "want a percentage like 95%")
	if err != nil {
		return err
	}
	v, err := ParsePercent(text)
	if err != nil {
		return errAt(n, path, "%v", err)
	}
	*p = v
	return nil
}

func (du *Duration) decodeNode(_ *decoder, n ast.Node, path string) error {
	text, err := scalar(n, path, "want a duration like 20ms or 1.5s")
	if err != nil {
		return err
	}
	v, err := ParseDuration(text)
	if err != nil {
		return errAt(n, path, "%v", err)
	}
	*du = v
	return nil
}
