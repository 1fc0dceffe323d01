package units

import (
	"fmt"
	"math"
)

// Undefined is how a ratio without a value is written: a ratio over zero
// (nothing live), or one whose operand was not measured.
const Undefined = "undefined"

// Ratio divides num by den. It is undefined (ok false) when den is not
// above zero or either operand is Absent: "RSS over live" with nothing live
// has no value, and is neither +Inf nor 0.
func Ratio(num, den int64) (r float64, ok bool) {
	if den <= 0 || num < 0 {
		return math.NaN(), false
	}
	return float64(num) / float64(den), true
}

// Defined reports whether r, as returned by Ratio, has a value.
func Defined(r float64) bool { return !math.IsNaN(r) && !math.IsInf(r, 0) }

// FormatRatio writes a ratio as "2.03" with three significant digits at
// most, or Undefined.
func FormatRatio(r float64) string {
	if !Defined(r) {
		return Undefined
	}
	return TrimNum(r)
}

// FormatTimes writes a ratio as a factor ("2.0x", "150x"), or Undefined.
func FormatTimes(r float64) string {
	if !Defined(r) {
		return Undefined
	}
	if r >= 100 {
		return fmt.Sprintf("%.0fx", r)
	}
	return fmt.Sprintf("%.1fx", r)
}
