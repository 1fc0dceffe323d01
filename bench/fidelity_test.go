package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/alloc/cref"
	"github.com/memstorm/memstorm/internal/testenv"
)

// TestFidelity is the fidelity suite at 32 MiB: memstorm's anon at every
// phase end of the twin-able built-ins, under every allocator, within 10%
// of a plain C program doing the same (or of the worker's own few MiB).
// `memstorm bench --fidelity` runs it at the documented 256 MiB.
func TestFidelity(t *testing.T) {
	requireRoot(t)
	testenv.RequireCommand(t, "cc", "apt-get install gcc")
	for _, a := range allocators.Names() {
		testenv.RequireAllocator(t, a)
	}
	dir := t.TempDir()
	bin, err := cref.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Fidelity(context.Background(), FidelityScenarios, allocators.Names(), 1.0/8, filepath.Join(dir, "runs"), bin, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + FormatFidelity(rows))
	for _, r := range rows {
		if !r.Within {
			t.Errorf("%s under %s, end of %s: memstorm anon %d, the C twin's %d (ratio %.2f)", r.Scenario, r.Allocator, r.Phase, r.Anon, r.TwinAnon, r.Ratio)
		}
	}
	if want := len(FidelityScenarios) * len(allocators.Names()) * 3; len(rows) < want {
		t.Errorf("%d rows, want at least %d", len(rows), want)
	}
}
