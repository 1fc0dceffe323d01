package stress

import (
	"strings"
	"testing"

	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
)

// TestGroupKillMargin: what memstorm's container holds when the child is
// made, 16 MiB for its growth, and the kernel's charge batch per CPU.
func TestGroupKillMargin(t *testing.T) {
	if got, want := groupKillMargin(30<<20, 2), int64(30<<20+16<<20+2*64*4096); got != want {
		t.Errorf("groupKillMargin(30 MiB, 2 CPUs) = %d, want %d", got, want)
	}
	if a, b := groupKillMargin(0, 1), groupKillMargin(0, 64); b-a != 63*64*4096 {
		t.Errorf("64 CPUs over 1: %d more bytes, want 63 charge batches", b-a)
	}
}

// TestChildBelow: a requested limit already below the container's less
// the margin stays; one at or above it, or none, is capped there; a
// container too small for a child below it is an error naming both.
func TestChildBelow(t *testing.T) {
	const container, margin = 256 << 20, 48 << 20
	for _, tc := range []struct {
		name   string
		max    units.Limit
		want   int64
		capped bool
	}{
		{"below", units.BytesLimit(64 << 20), 64 << 20, false},
		{"at the margin", units.BytesLimit(container - margin), container - margin, false},
		{"inherit", units.BytesLimit(container), container - margin, true},
		{"above", units.BytesLimit(1 << 30), container - margin, true},
		{"none", units.Limit{}, container - margin, true},
		{"unlimited", units.Unlimited, container - margin, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, capped, err := childBelow(tc.max, container, margin)
			if err != nil {
				t.Fatal(err)
			}
			if b, ok := l.Bytes(); !ok || b != tc.want || capped != tc.capped {
				t.Errorf("childBelow(%v) = %v capped %v, want %d capped %v", tc.max, l, capped, tc.want, tc.capped)
			}
		})
	}
	_, _, err := childBelow(units.Limit{}, 40<<20, margin)
	if err == nil || !strings.Contains(err.Error(), "40 MiB") || !strings.Contains(err.Error(), scenarios.MinLimit.String()) {
		t.Errorf("a 40 MiB container with a 48 MiB margin: %v, want an error naming the limit and the least a run needs", err)
	}
}
