package bench

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
)

// TestInitTraceMs sums the clock column of GODEBUG=inittrace=1 lines (as
// memstorm version printed them) and skips other lines.
func TestInitTraceMs(t *testing.T) {
	const trace = `init internal/bytealg @0.006 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @0.029 ms, 0.10 ms clock, 0 bytes, 0 allocs
memstorm (devel)
init gonum.org/v1/plot @1.7 ms, 0.23 ms clock, 184104 bytes, 134 allocs
init github.com/memstorm/memstorm/report @2.1 ms, 0.019 ms clock, 1168 bytes, 18 allocs
`
	got, err := initTraceMs(bytes.NewBufferString(trace))
	if err != nil || got < 0.348 || got > 0.350 {
		t.Errorf("initTraceMs = %v, %v; want 0.349", got, err)
	}
	if _, err := initTraceMs(bytes.NewBufferString("init x @1 ms, abc ms clock, 0 bytes, 0 allocs\n")); err == nil {
		t.Error("a clock that is not a number was accepted")
	}
}

// TestStartupFigure times a real memstorm's start-up: both figures
// positive, package initialisation a part of the whole.
func TestStartupFigure(t *testing.T) {
	testenv.SkipUnderRace(t)
	exe := filepath.Join(t.TempDir(), "memstorm")
	if out, err := exec.Command("go", "build", "-o", exe, "../cmd/memstorm").CombinedOutput(); err != nil {
		t.Fatalf("building memstorm: %v\n%s", err, out)
	}
	b := &bench{cfg: Config{Executable: exe}}
	r := &Result{}
	if err := b.startup(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if r.StartupMs <= 0 || r.Detail.StartupInitMs <= 0 || r.Detail.StartupInitMs >= r.StartupMs {
		t.Errorf("start-up %v ms with %v ms of package initialisation: want both positive, the second a part of the first", r.StartupMs, r.Detail.StartupInitMs)
	}
	t.Logf("memstorm version: %.2f ms exec to exit, %.2f ms package initialisation (medians of %d)", r.StartupMs, r.Detail.StartupInitMs, startupRuns)
}
