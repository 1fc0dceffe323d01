package cref

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/alloc"
)

// Replay is one run of the reference program's replay mode (src/replay.c):
// a trace replayed on one thread by a plain C loop, with RssAnon read at
// the recorded program's RSS samples, as memstorm's replay reads it.
type Replay struct {
	// Bin is the program Build made.
	Bin string
	// Trace is the trace file.
	Trace string
	// Speed 0 replays as fast as it goes, N at N times the recorded pace.
	Speed float64
	// Touch writes a byte in every page of each new object.
	Touch bool
	// Env is added to this process's environment (LD_PRELOAD of an
	// allocator, tunables).
	Env []string
}

// ReplayResult is what the C replay measured.
type ReplayResult struct {
	PeakLive       int64 // the most requested bytes live at once
	AtRecordedPeak int64 // live at the recorded peak's point; -1: none
	// RSS pairs the readings with the recorded samples, as
	// alloc.ReplayResult's; nil when the trace has none.
	RSS *alloc.ReplayRSS
}

// Run decodes the trace (alloc.LoadReplay on one thread), writes its ops
// into a temporary file and runs the reference program on it.
func (x Replay) Run(ctx context.Context) (ReplayResult, error) {
	res := ReplayResult{AtRecordedPeak: -1}
	r, err := alloc.LoadReplay(x.Trace, true)
	if err != nil {
		return res, err
	}
	defer r.Close()
	dir, err := os.MkdirTemp("", "memstorm-cref-replay-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	opPath := filepath.Join(dir, "ops")
	f, err := os.Create(opPath)
	if err != nil {
		return res, fmt.Errorf("cref: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := r.WriteOps(bw); err != nil {
		f.Close()
		return res, fmt.Errorf("cref: writing %s: %w", opPath, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return res, fmt.Errorf("cref: writing %s: %w", opPath, err)
	}
	if err := f.Close(); err != nil {
		return res, fmt.Errorf("cref: writing %s: %w", opPath, err)
	}
	touch := "0"
	if x.Touch {
		touch = "1"
	}
	args := []string{"replay", opPath, strconv.FormatFloat(x.Speed, 'g', -1, 64), touch}
	cmd := exec.CommandContext(ctx, x.Bin, args...)
	cmd.Env = append(os.Environ(), x.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("cref: %s %s: %w: %s", x.Bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	rss, live, peak, err := parseReplay(out)
	if err != nil {
		return res, fmt.Errorf("cref: %s %s: %w", x.Bin, strings.Join(args, " "), err)
	}
	res.PeakLive = peak
	if n := len(live); n > 0 && r.Summary.PeakLive > 0 {
		res.AtRecordedPeak = live[n-1] // the last sync point is the peak's
	}
	res.RSS = r.PairRSS(rss)
	return res, nil
}

// parseReplay reads "sync K RSS LIVE" lines (K from 0 in order) and the
// closing "peak LIVE".
func parseReplay(b []byte) (rss, live []int64, peak int64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sawPeak := false
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 4 && f[0] == "sync" && f[1] == strconv.Itoa(len(rss)):
			a, err1 := strconv.ParseInt(f[2], 10, 64)
			l, err2 := strconv.ParseInt(f[3], 10, 64)
			if err1 != nil || err2 != nil {
				return nil, nil, 0, fmt.Errorf("report line %d: %q: bad numbers", line, sc.Text())
			}
			rss, live = append(rss, a), append(live, l)
		case len(f) == 2 && f[0] == "peak" && !sawPeak:
			if peak, err = strconv.ParseInt(f[1], 10, 64); err != nil {
				return nil, nil, 0, fmt.Errorf("report line %d: %q: bad number", line, sc.Text())
			}
			sawPeak = true
		default:
			return nil, nil, 0, fmt.Errorf("report line %d: %q: want \"sync K RSS LIVE\" or \"peak LIVE\"", line, sc.Text())
		}
	}
	if !sawPeak {
		return nil, nil, 0, fmt.Errorf("no peak line in %q", b)
	}
	return rss, live, peak, sc.Err()
}
