package scenarios

import (
	"math"
	"strings"
	"testing"
)

func TestParseConditionsErrors(t *testing.T) {
	for _, tc := range []struct{ in, metric, want string }{
		{" and ", "peak_usage", "want a condition"},
		{"", "", "want a condition"},
		{"rss < 1MiB and ", "", "want a condition"},
		{"rss", "", "want METRIC OP VALUE"},
		{"rss <", "", "want a number, a size"},
		{"rss < NaN", "", "want a finite number"},
		{"rss < Inf", "", "want a finite number"},
		{"rss < 1e309", "", "want a number, a size"},
		{"rss < Inf% of limit", "", "want a finite percentage"},
		{"rss < -Inf * live", "", "want a finite number"},
		{"90%..NaN% of limit", "peak_usage", "want a finite percentage"},
		{"rss < 10 of limit", "", "want P% of REF"},
		{"frob < 1", "", `unknown metric "frob"`},
		{"rss < 50% of frob", "", `unknown reference "frob"`},
	} {
		if _, err := parseConditions(tc.in, tc.metric); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseConditions(%q, %q) = %v, want an error containing %q", tc.in, tc.metric, err, tc.want)
		}
	}
}

// FuzzConditions: the expectations grammar never panics, and what it
// accepts compares finite numbers with a known metric.
func FuzzConditions(f *testing.F) {
	for _, s := range []string{
		"anon/live >= 1.6", "live == 0 and anon < 25% of fill.anon", "rss < 2 * live and rss > 2.5 * live",
		"rss > 90% of fill.rss", "anon < 120% of grow#1.anon", "live < 60% of fill.live", "rss < 1MiB",
		"90%..100% of limit", "1GiB..2GiB", "rss 1..2", " and ", "rss < NaN",
	} {
		f.Add(s, "")
		f.Add(s, "peak_usage")
	}
	f.Fuzz(func(t *testing.T, s, metric string) {
		conds, err := parseConditions(s, metric)
		if err != nil {
			return
		}
		for _, c := range conds {
			if !phaseMetrics[c.metric] && c.metric != metric {
				t.Errorf("parseConditions(%q, %q) accepted metric %q", s, metric, c.metric)
			}
			for _, o := range []operand{c.lo, c.hi} {
				if math.IsNaN(o.num) || math.IsInf(o.num, 0) {
					t.Errorf("parseConditions(%q, %q) accepted the number %v", s, metric, o.num)
				}
			}
		}
	})
}
