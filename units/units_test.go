package units

import (
	"encoding/json"
	"math"
	"testing"
)

// TestFormatBytes: one rule for every figure memstorm prints, in the
// terminal and in the report: three significant digits at most, absent by
// name, differences signed.
func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{Absent, "absent"},
		{0, "0 B"},
		{64, "64 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{3 << 19, "1.5 MiB"},
		{289910292, "276 MiB"}, // the figure the terminal once printed as "276.48 MiB"
		{270 << 20, "270 MiB"},
		{int64(2.25 * (1 << 30)), "2.25 GiB"},
		{2502 << 20, "2.44 GiB"},
		{-(3 << 19), "-1.5 MiB"},
		{math.MaxInt64, "8388608 TiB"},
	} {
		if got := FormatBytes(tc.in); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseBytesRoundTrips(t *testing.T) {
	for _, v := range []int64{0, 1, 64, 4096, 1536, 3 << 19, 1 << 40, 12345} {
		s := ExactBytes(v)
		back, err := ParseBytes(s)
		if err != nil || back != v {
			t.Errorf("ParseBytes(ExactBytes(%d) = %q) = %d, %v", v, s, back, err)
		}
	}
	for _, bad := range []string{"", "MiB", "1.3KiB", "5MB", "-1", "1e3", "99999999999TiB"} {
		if v, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", bad, v)
		}
	}
}

// TestRatioOverNothingIsUndefined: "RSS over live" with nothing live has no
// value; it is neither +Inf (which passes every >= check) nor NaN printed
// as a number.
func TestRatioOverNothingIsUndefined(t *testing.T) {
	for _, tc := range []struct {
		num, den int64
		ok       bool
		want     string
	}{
		{200, 100, true, "2"},
		{289910292, 134217728, true, "2.16"},
		{100, 0, false, Undefined},
		{0, 0, false, Undefined},
		{Absent, 100, false, Undefined},
		{100, Absent, false, Undefined},
	} {
		r, ok := Ratio(tc.num, tc.den)
		if ok != tc.ok || FormatRatio(r) != tc.want {
			t.Errorf("Ratio(%d, %d) = %v, %v (%q); want ok=%v %q", tc.num, tc.den, r, ok, FormatRatio(r), tc.ok, tc.want)
		}
	}
	if got := FormatTimes(math.Inf(1)); got != Undefined {
		t.Errorf("FormatTimes(+Inf) = %q", got)
	}
	if got := FormatTimes(2.04); got != "2.0x" {
		t.Errorf("FormatTimes(2.04) = %q", got)
	}
}

func TestLimitStates(t *testing.T) {
	var unset Limit
	if unset.IsSet() || unset.Bounded() || unset.IsUnlimited() || unset.String() != "unset" {
		t.Errorf("zero Limit: %+v %q", unset, unset)
	}
	if !Unlimited.IsSet() || Unlimited.Bounded() || Unlimited.String() != "unlimited" {
		t.Errorf("Unlimited: %q", Unlimited)
	}
	l := LimitOf(64 << 20)
	if b, ok := l.Bytes(); !ok || b != 64<<20 || l.String() != "64 MiB" {
		t.Errorf("LimitOf(64MiB) = %v %v %q", b, ok, l)
	}
	if LimitOf(0).IsSet() || LimitOf(-1).IsSet() {
		t.Error("LimitOf of a non-positive count must be unset")
	}
	if got := unset.Or(l); got != l {
		t.Errorf("unset.Or(l) = %v", got)
	}
	if got := Unlimited.Or(l); got != Unlimited {
		t.Errorf("Unlimited.Or(l) = %v: an explicit unlimited overrides", got)
	}
	if z := BytesLimit(0); !z.Bounded() || z.String() != "0 B" {
		t.Errorf("BytesLimit(0) = %v: no swap is a limit of 0, not unset", z)
	}
}

func TestLimitJSON(t *testing.T) {
	for _, tc := range []struct {
		l    Limit
		json string
	}{{Limit{}, "null"}, {Unlimited, `"max"`}, {LimitOf(64 << 20), "67108864"}, {BytesLimit(0), "0"}} {
		b, err := json.Marshal(tc.l)
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.l, b, err, tc.json)
		}
		var back Limit
		if err := json.Unmarshal(b, &back); err != nil || back != tc.l {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", b, back, err, tc.l)
		}
	}
	for _, bad := range []string{`-1`, `"unlimited"`, `1.5`, `{}`} {
		var l Limit
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", bad, l)
		}
	}
}

// FuzzParseBytes: ParseBytes never panics; what it accepts is a
// non-negative byte count that ExactBytes prints back to the same count.
func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"0", "1", "64", "4096", "4KiB", "4 KiB", "1.5MiB", "1.3KiB", "2GiB", "1TiB", "8388607TiB",
		"8388608TiB", "9223372036854775807", "9223372036854775808", "5MB", "-1", "1e3", ".5KiB", "1.KiB", "0.000000000001TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBytes(s)
		if err != nil {
			return
		}
		if v < 0 {
			t.Fatalf("ParseBytes(%q) = %d", s, v)
		}
		if back, err := ParseBytes(ExactBytes(v)); err != nil || back != v {
			t.Errorf("ParseBytes(%q) = %d prints as %q, which parses to %d, %v", s, v, ExactBytes(v), back, err)
		}
	})
}
