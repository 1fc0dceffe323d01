package scenarios

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/trace"
)

// replay checks a replay phase and reads its trace through (a truncated or
// corrupt trace is refused here, before anything runs).
func (c *checker) replay(r *Replay, p string) error {
	tp := childPath(p, "trace")
	if r.Trace == "" {
		return c.errf(tp, "required: want the trace file (memstorm record --out FILE, memstorm import)")
	}
	path := r.Trace
	if !filepath.IsAbs(path) {
		if c.dir == "" {
			return c.errf(tp, "a built-in scenario cannot name a relative trace %q", path)
		}
		path = filepath.Join(c.dir, path)
	}
	if r.Threads == "" {
		r.Threads = ThreadsRecorded
	} else if !ReplayThreadsValues.Has(r.Threads) {
		return c.errf(childPath(p, "threads"), "want threads %s, got %q", ReplayThreadsValues.Want(), r.Threads)
	}
	speed, err := parseTiming(r.Timing)
	if err != nil {
		return c.errf(childPath(p, "timing"), "want asap, recorded, or xN (N > 0: recorded time divided by N), got %q", r.Timing)
	}
	sum, err := trace.Scan(path)
	if err != nil {
		return c.errf(tp, "%v", err)
	}
	r.Path, r.Speed = path, speed
	r.PeakLive, r.EndLive, r.Events = int64(sum.PeakLive), int64(sum.Live), int64(sum.Events)
	r.PeakRSS, r.LastRSS = int64(sum.PeakRSS), int64(sum.LastRSS)
	return nil
}

// parseTiming turns a replay timing into a speed: 0 for asap, 1 for
// recorded, N for xN (also ×N).
func parseTiming(s string) (float64, error) {
	switch s {
	case "", "asap":
		return 0, nil
	case "recorded":
		return 1, nil
	}
	n, ok := strings.CutPrefix(s, "x")
	if !ok {
		n, ok = strings.CutPrefix(s, "×")
	}
	if !ok {
		return 0, strconv.ErrSyntax
	}
	v, err := strconv.ParseFloat(n, 64)
	if err != nil || !(v > 0) || v > 1e6 {
		return 0, strconv.ErrSyntax
	}
	return v, nil
}
