package scenarios

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Size
		err  string // fragment of the error; "" for success
	}{
		{"0", 0, ""},
		{"64", 64, ""},
		{"4096", 4096, ""},
		{"100B", 100, ""},
		{"4KiB", 4096, ""},
		{"4 KiB", 4096, ""},
		{"1.5MiB", 3 << 19, ""},
		{"1.5KiB", 1536, ""},
		{"2GiB", 2 << 30, ""},
		{"1TiB", 1 << 40, ""},
		{"0.5B", 0, "not a whole number of bytes"},
		{"1.3KiB", 0, "not a whole number of bytes"},
		{"0.000000000001TiB", 0, "not a whole number of bytes"},
		{"0.0000000000001TiB", 0, "too many decimals"},
		{"1024TiB", 1 << 50, ""},
		{"1125899906842624", 1 << 50, ""},
		{"1125899906842625", 0, "want a size of at most 1024TiB"},
		{"1025TiB", 0, "want a size of at most 1024TiB"},
		{"8388607TiB", 0, "want a size of at most 1024TiB"},
		{"8388608TiB", 0, "too large"},
		{"9223372036854775807", 0, "want a size of at most 1024TiB"},
		{"9223372036854775808", 0, "too large"},
		{"-3", 0, `got "-3"`},
		{"4KB", 0, `decimal unit "KB" is ambiguous, write KiB`},
		{"4k", 0, `decimal unit "k" is ambiguous, write KiB`},
		{"2G", 0, `decimal unit "G" is ambiguous, write GiB`},
		{"4kib", 0, "units B, KiB, MiB, GiB, TiB"},
		{"KiB", 0, `got "KiB"`},
		{"1.KiB", 0, `got "1.KiB"`},
		{".5KiB", 0, `got ".5KiB"`},
		{"1.2.3KiB", 0, `got "1.2.3KiB"`},
		{"", 0, `got ""`},
	} {
		got, err := ParseSize(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ParseSize(%q): %v", tc.in, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("ParseSize(%q) = %d, want %d", tc.in, got, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseSize(%q) = %d, %v; want an error containing %q", tc.in, got, err, tc.err)
		}
	}
}

func TestSizeString(t *testing.T) {
	for _, tc := range []struct {
		in   Size
		want string
	}{
		{0, "0B"},
		{64, "64B"},
		{1000, "1000B"},
		{4096, "4KiB"},
		{1536, "1.5KiB"},
		{3 << 19, "1.5MiB"},
		{1<<20 + 1, "1048577B"},
		{1<<30 + 1<<20, "1025MiB"},
		{5 << 40, "5TiB"},
	} {
		got := tc.in.String()
		if got != tc.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
		}
		back, err := ParseSize(got)
		if err != nil || back != tc.in {
			t.Errorf("ParseSize(%q) = %d, %v; want the round trip to give %d", got, back, err, int64(tc.in))
		}
	}
}

func TestParsePercent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Percent
		ok   bool
	}{
		{"95%", 95, true},
		{"99.5%", 99.5, true},
		{" 50 %", 50, true},
		{"95", 0, false},
		{"0.95", 0, false},
		{"-5%", 0, false},
		{"NaN%", 0, false},
		{"%", 0, false},
	} {
		got, err := ParsePercent(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if got := Percent(99.5).String(); got != "99.5%" {
		t.Errorf("Percent(99.5).String() = %q", got)
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"20ms", 20 * time.Millisecond, true},
		{"1.5s", 1500 * time.Millisecond, true},
		{"2m", 2 * time.Minute, true},
		{"5", 0, false},
		{"0s", 0, false},
		{"-1s", 0, false},
		{"soon", 0, false},
		{"24h", 24 * time.Hour, true},
		{"24h0m0.000000001s", 0, false},
		{"2562047h", 0, false},
		{"2562048h", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got.D() != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if got := Duration(1500 * time.Millisecond).String(); got != "1.5s" {
		t.Errorf("Duration(1.5s).String() = %q", got)
	}
}

// FuzzParseSize: a size the grammar accepts is within 0..MaxSize and
// prints back to itself.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "64", "4KiB", "4 KiB", "1.5MiB", "1.3KiB", "1024TiB", "1025TiB", "8388608TiB",
		"9223372036854775807", "4KB", "-3", "1.2.3KiB", ".5KiB", "0.000000000001TiB", "1e3", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err != nil {
			return
		}
		if v < 0 || v > MaxSize {
			t.Fatalf("ParseSize(%q) = %d, outside 0..MaxSize", s, v)
		}
		if back, err := ParseSize(v.String()); err != nil || back != v {
			t.Errorf("ParseSize(%q) = %d prints as %q, which parses to %d, %v", s, v, v.String(), back, err)
		}
	})
}

// FuzzParseDuration: a duration the grammar accepts is within
// 0..MaxDuration and prints back to itself; so is a percentage.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"20ms", "1.5s", "2m", "1h30m", "24h", "25h", "2562047h", "5", "0s", "-1s", "500us", "1e3s", ".5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil {
			if d <= 0 || d > MaxDuration {
				t.Fatalf("ParseDuration(%q) = %v, outside (0, MaxDuration]", s, d)
			}
			if back, err := ParseDuration(d.String()); err != nil || back != d {
				t.Errorf("ParseDuration(%q) = %v prints as %q, which parses to %v, %v", s, d, d.String(), back, err)
			}
		}
		if p, err := ParsePercent(s); err == nil {
			if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) || p < 0 {
				t.Fatalf("ParsePercent(%q) = %v", s, p)
			}
			if back, err := ParsePercent(p.String()); err != nil || back != p {
				t.Errorf("ParsePercent(%q) = %v prints as %q, which parses to %v, %v", s, p, p.String(), back, err)
			}
		}
	})
}
