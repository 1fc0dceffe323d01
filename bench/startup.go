package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// startupRuns is how many times the start-up is timed (the median is kept).
const startupRuns = 21

// startup times `memstorm version` from exec to exit: the dynamic loader,
// the Go runtime, every package's initialisation and main, the time in
// which a SIGTERM finds memstorm not yet ready (see cmd/memstorm's
// signals.go). The detail is the sum of the package initialisations the
// Go runtime reports (GODEBUG=inittrace=1). -1 without an Executable.
func (b *bench) startup(ctx context.Context, r *Result) error {
	r.StartupMs = -1
	if b.cfg.Executable == "" {
		return nil
	}
	var walls, inits []float64
	for range startupRuns {
		cmd := exec.CommandContext(ctx, b.cfg.Executable, "version")
		cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s version: %w", b.cfg.Executable, err)
		}
		walls = append(walls, float64(time.Since(t0).Microseconds())/1000)
		ms, err := initTraceMs(&stderr)
		if err != nil {
			return err
		}
		inits = append(inits, ms)
	}
	r.StartupMs, r.Detail.StartupInitMs = median(walls), median(inits)
	return nil
}

// initTraceMs sums the clock times of GODEBUG=inittrace=1's lines:
// "init PKG @0.5 ms, 0.01 ms clock, 96 bytes, 2 allocs".
func initTraceMs(r *bytes.Buffer) (float64, error) {
	var sum float64
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 7 || f[0] != "init" || f[6] != "clock," {
			continue
		}
		v, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return 0, fmt.Errorf("inittrace line %q: %w", sc.Text(), err)
		}
		sum += v
	}
	return sum, sc.Err()
}
