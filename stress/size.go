package stress

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Size is a byte count. In scenario files it is written as a whole number of
// bytes (4096) or a number with a binary unit: B, KiB, MiB, GiB, TiB
// ("4KiB", "1.5MiB"). The decimal units KB, MB, GB, TB (and K, M, G, T) are
// refused as ambiguous: people write MB meaning MiB, and a harness that
// sizes allocations must not guess which.
type Size int64

// Binary units, largest first, as accepted by ParseSize and printed by
// String and FormatBytes.
var sizeUnits = []struct {
	name  string
	bytes int64
}{
	{"TiB", 1 << 40},
	{"GiB", 1 << 30},
	{"MiB", 1 << 20},
	{"KiB", 1 << 10},
	{"B", 1},
}

// sizeWant is the grammar reminder every size error carries.
const sizeWant = "want a size like 64, 4KiB or 2MiB"

// ParseSize parses a size such as "4096", "64", "4KiB", "1.5MiB", "2GiB" or
// "1TiB". A fraction must come to a whole number of bytes ("1.5KiB" is 1536;
// "1.3KiB" is refused). Negative sizes and decimal units are refused.
func ParseSize(s string) (Size, error) {
	text := strings.TrimSpace(s)
	i := 0
	for i < len(text) && (text[i] >= '0' && text[i] <= '9' || text[i] == '.') {
		i++
	}
	num, unit := text[:i], strings.TrimSpace(text[i:])
	if num == "" {
		return 0, fmt.Errorf("%s, got %q", sizeWant, s)
	}
	mult := int64(0)
	if unit == "" {
		mult = 1
	}
	for _, u := range sizeUnits {
		if unit == u.name {
			mult = u.bytes
		}
	}
	if mult == 0 {
		switch strings.ToUpper(unit) {
		case "K", "KB", "M", "MB", "G", "GB", "T", "TB":
			return 0, fmt.Errorf("%s, got %q: decimal unit %q is ambiguous, write %s (binary) or the number of bytes",
				sizeWant, s, unit, string(strings.ToUpper(unit)[0])+"iB")
		}
		return 0, fmt.Errorf("%s (units B, KiB, MiB, GiB, TiB), got %q", sizeWant, s)
	}
	whole, frac, hasDot := strings.Cut(num, ".")
	if whole == "" || (hasDot && frac == "") || strings.Contains(frac, ".") {
		return 0, fmt.Errorf("%s, got %q", sizeWant, s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/mult {
		return 0, fmt.Errorf("%s, got %q: too large", sizeWant, s)
	}
	total := w * mult
	if frac != "" {
		// frac/10^len(frac) * mult must be whole: compute it exactly.
		if len(frac) > 12 {
			return 0, fmt.Errorf("%s, got %q: too many decimals", sizeWant, s)
		}
		f, _ := strconv.ParseInt(frac, 10, 64) // digits only, at most 12
		den := int64(math.Pow10(len(frac)))
		hi, lo := mulDiv(f, mult, den)
		if lo != 0 {
			return 0, fmt.Errorf("%s, got %q: not a whole number of bytes", sizeWant, s)
		}
		if hi > math.MaxInt64-total {
			return 0, fmt.Errorf("%s, got %q: too large", sizeWant, s)
		}
		total += hi
	}
	return Size(total), nil
}

// mulDiv returns a*b/den and its remainder without overflowing for the
// operands ParseSize feeds it (a < 10^12, b <= 2^40, den <= 10^12).
func mulDiv(a, b, den int64) (q, r int64) {
	// Split b so that each partial product stays below 2^63.
	bHi, bLo := b>>20, b&(1<<20-1)
	qa, ra := a*bHi/den, a*bHi%den // a*bHi < 10^12 * 2^20 < 2^61
	// a*b = (qa*den + ra) * 2^20 + a*bLo
	rest := ra<<20 + a*bLo // < 10^12*2^20 + 10^12*2^20 < 2^62
	q = qa<<20 + rest/den
	return q, rest % den
}

// String prints the size in the largest binary unit that shows it exactly
// with at most three decimals ("4KiB", "1.5MiB", "100B"), so that the result
// parses back to the same size.
func (s Size) String() string {
	v := int64(s)
	if v < 0 {
		return strconv.FormatInt(v, 10) + "B"
	}
	for _, u := range sizeUnits {
		if v < u.bytes {
			continue
		}
		if v%u.bytes == 0 {
			return strconv.FormatInt(v/u.bytes, 10) + u.name
		}
		text := strconv.FormatFloat(float64(v)/float64(u.bytes), 'f', -1, 64)
		if _, frac, _ := strings.Cut(text, "."); len(frac) <= 3 {
			if back, err := ParseSize(text + u.name); err == nil && int64(back) == v {
				return text + u.name
			}
		}
	}
	return strconv.FormatInt(v, 10) + "B"
}

// FormatBytes prints a byte count for people: the largest binary unit that
// keeps the number at or above 1, rounded to two decimals ("64 B", "4 KiB",
// "1.5 MiB", "2.33 GiB").
func FormatBytes(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign, u = "-", uint64(-n) // MinInt64 negates to itself; as uint64 it is 2^63, still right
	}
	for _, unit := range sizeUnits {
		if u >= uint64(unit.bytes) {
			if unit.bytes == 1 {
				return sign + strconv.FormatUint(u, 10) + " B"
			}
			v := math.Round(float64(u)/float64(unit.bytes)*100) / 100
			return sign + strconv.FormatFloat(v, 'f', -1, 64) + " " + unit.name
		}
	}
	return "0 B"
}

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

// ParseDuration parses a positive Go duration. A bare number is refused: its
// unit would be a guess.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("want a duration like 20ms or 1.5s, got %q", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("want a positive duration like 20ms or 1.5s, got %q", s)
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
			*s = Size(i)
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
