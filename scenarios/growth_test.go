package scenarios

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSizeGrowthSteps: each repetition of a size_growth group scales its
// allocate steps by growth^r, nested groups multiply, and the scaled sizes
// are what the worker asks for.
func TestSizeGrowthSteps(t *testing.T) {
	sc, err := Parse("growth.yaml", []byte(`
phases:
  - name: outer
    repeat: 2
    size_growth: 2
    phases:
      - name: inner
        repeat: 2
        size_growth: 1.5
        phases:
          - {name: grow, allocate: {size: {dist: uniform, min: 32, max: 48}, until: {bytes: 1MiB}}}
          - {name: shrink, free: all}
`))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Name     string
		Scale    float64
		Min, Max Size
	}
	var out []got
	for _, st := range sc.Steps() {
		if st.Phase.Allocate == nil {
			continue
		}
		a := scaledAllocate(st.Phase.Allocate, st.SizeScale)
		out = append(out, got{st.Name, st.SizeScale, a.Size.Min, a.Size.Max})
	}
	want := []got{{"grow#1", 1, 32, 48}, {"grow#2", 1.5, 48, 72}, {"grow#3", 2, 64, 96}, {"grow#4", 3, 96, 144}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("scaled steps (-want +got):\n%s", diff)
	}
	if sc.Phases[0].Phases[0].Phases[0].Allocate.Size.Min != 32 {
		t.Error("scaledAllocate changed the scenario's own allocate phase")
	}
}

// TestSizeGrowthErrors: size_growth is refused off a group, outside
// (0, 16], and where it would scale an object past MaxGrownSize, each at
// the offending value's line and column.
func TestSizeGrowthErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"on a leaf", "phases:\n  - {hold: 1s, size_growth: 2}\n",
			"x.yaml:2:16: phases[0].size_growth: size_growth applies to a group"},
		{"zero", "phases:\n  - repeat: 2\n    size_growth: 0\n    phases: [{allocate: {size: 64, until: {count: 1}}}]\n",
			"x.yaml:3:18: phases[0].size_growth: want a factor above 0 and at most 16, got 0"},
		{"too big", "phases:\n  - repeat: 2\n    size_growth: 17\n    phases: [{allocate: {size: 64, until: {count: 1}}}]\n",
			"x.yaml:3:18: phases[0].size_growth: want a factor above 0 and at most 16, got 17"},
		{"a string", "phases:\n  - repeat: 2\n    size_growth: fast\n    phases: [{hold: 1s}]\n",
			"x.yaml:3:18: phases[0].size_growth"},
		{"past the largest object", "phases:\n  - repeat: 12\n    size_growth: 8\n    phases:\n      - allocate: {size: 64, until: {count: 1}}\n",
			"x.yaml:5:26: phases[0].phases[0].allocate.size: size_growth of the groups around it scales this size to"},
		// 64 x 16^14 fits in int64, 64 x 16^15 does not: both are refused.
		{"repeat 15", "phases:\n  - repeat: 15\n    size_growth: 16\n    phases:\n      - allocate: {size: 64, until: {count: 1}}\n",
			"x.yaml:5:26: phases[0].phases[0].allocate.size: size_growth of the groups around it scales this size to 4.61e+18 bytes at their last repetition, want at most 1GiB"},
		{"repeat 16", "phases:\n  - repeat: 16\n    size_growth: 16\n    phases:\n      - allocate: {size: 64, until: {count: 1}}\n",
			"x.yaml:5:26: phases[0].phases[0].allocate.size: size_growth of the groups around it scales this size to 7.38e+19 bytes"},
		{"repeat a million", "phases:\n  - repeat: 1000000\n    size_growth: 1.5\n    phases:\n      - allocate: {size: 64, until: {count: 1}}\n",
			"scales this size to +Inf bytes"},
		{"nested groups multiply", "phases:\n  - repeat: 8\n    size_growth: 16\n    phases:\n      - repeat: 8\n        size_growth: 16\n        phases:\n          - allocate: {size: 64, until: {count: 1}}\n",
			"x.yaml:8:30: phases[0].phases[0].phases[0].allocate.size: size_growth of the groups around it scales this size to 4.61e+18 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
