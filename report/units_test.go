package report

import (
	"testing"
)

func TestByteTicksAreNiceAndCoverTheRange(t *testing.T) {
	for _, tc := range []struct {
		hi    float64
		first string // the first labelled tick above 0
	}{
		{300 << 20, "100 MiB"}, {1.5 * (1 << 30), "0.5 GiB"}, {40 << 10, "10 KiB"}, {8 << 30, "2 GiB"},
	} {
		ticks := ByteTicks{}.Ticks(0, tc.hi)
		var labels []string
		for _, tk := range ticks {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
				if tk.Value < 0 || tk.Value > tc.hi {
					t.Errorf("hi %g: tick %q at %g outside the range", tc.hi, tk.Label, tk.Value)
				}
			}
		}
		if len(labels) < 3 || len(labels) > 9 || labels[0] != "0" || labels[1] != tc.first {
			t.Errorf("hi %g: labels %v, want 3..9 starting 0, %s", tc.hi, labels, tc.first)
		}
	}
}

func TestTimeAxisFollowsRunLength(t *testing.T) {
	for _, tc := range []struct {
		d    float64
		unit string
	}{{2, "s"}, {120, "s"}, {600, "min"}, {7200, "min"}, {4 * 3600, "h"}} {
		ta := TimeAxisFor(tc.d)
		if ta.Unit != tc.unit {
			t.Errorf("%gs: unit %s, want %s", tc.d, ta.Unit, tc.unit)
		}
		n := 0
		for _, tk := range ta.Ticks(0, tc.d) {
			if tk.Label != "" {
				n++
			}
		}
		if n < 3 || n > 9 {
			t.Errorf("%gs: %d labelled ticks, want 3..9", tc.d, n)
		}
	}
}
