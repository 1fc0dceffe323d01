package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SizeWant is the grammar reminder every size error carries.
const SizeWant = "want a size like 64, 4KiB or 2MiB"

// ParseBytes parses a size such as "4096", "64", "4KiB", "1.5MiB", "2GiB" or
// "1TiB". A fraction must come to a whole number of bytes ("1.5KiB" is 1536;
// "1.3KiB" is refused). Negative sizes and decimal units are refused.
func ParseBytes(s string) (int64, error) {
	text := strings.TrimSpace(s)
	i := 0
	for i < len(text) && (text[i] >= '0' && text[i] <= '9' || text[i] == '.') {
		i++
	}
	num, unit := text[:i], strings.TrimSpace(text[i:])
	if num == "" {
		return 0, fmt.Errorf("%s, got %q", SizeWant, s)
	}
	mult := int64(0)
	if unit == "" {
		mult = 1
	}
	for _, u := range binaryUnits {
		if unit == u.name {
			mult = u.bytes
		}
	}
	if mult == 0 {
		switch strings.ToUpper(unit) {
		case "K", "KB", "M", "MB", "G", "GB", "T", "TB":
			return 0, fmt.Errorf("%s, got %q: decimal unit %q is ambiguous, write %s (binary) or the number of bytes",
				SizeWant, s, unit, string(strings.ToUpper(unit)[0])+"iB")
		}
		return 0, fmt.Errorf("%s (units B, KiB, MiB, GiB, TiB), got %q", SizeWant, s)
	}
	whole, frac, hasDot := strings.Cut(num, ".")
	if whole == "" || (hasDot && frac == "") || strings.Contains(frac, ".") {
		return 0, fmt.Errorf("%s, got %q", SizeWant, s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/mult {
		return 0, fmt.Errorf("%s, got %q: too large", SizeWant, s)
	}
	total := w * mult
	if frac != "" {
		// frac/10^len(frac) * mult must be whole: compute it exactly.
		if len(frac) > 12 {
			return 0, fmt.Errorf("%s, got %q: too many decimals", SizeWant, s)
		}
		f, _ := strconv.ParseInt(frac, 10, 64) // digits only, at most 12
		den := int64(math.Pow10(len(frac)))
		hi, lo := mulDiv(f, mult, den)
		if lo != 0 {
			return 0, fmt.Errorf("%s, got %q: not a whole number of bytes", SizeWant, s)
		}
		if hi > math.MaxInt64-total {
			return 0, fmt.Errorf("%s, got %q: too large", SizeWant, s)
		}
		total += hi
	}
	return total, nil
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

// ExactBytes prints a byte count in the largest binary unit that shows it exactly
// with at most three decimals ("4KiB", "1.5MiB", "100B"), so that the result
// parses back to the same size.
func ExactBytes(v int64) string {
	if v < 0 {
		return strconv.FormatInt(v, 10) + "B"
	}
	for _, u := range binaryUnits {
		if v < u.bytes {
			continue
		}
		if v%u.bytes == 0 {
			return strconv.FormatInt(v/u.bytes, 10) + u.name
		}
		text := strconv.FormatFloat(float64(v)/float64(u.bytes), 'f', -1, 64)
		if _, frac, _ := strings.Cut(text, "."); len(frac) <= 3 {
			if back, err := ParseBytes(text + u.name); err == nil && back == v {
				return text + u.name
			}
		}
	}
	return strconv.FormatInt(v, 10) + "B"
}
