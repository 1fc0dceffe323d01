package cref

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/memstorm/memstorm/trace"
)

// The plain-C replay makes the recorded calls and reads RssAnon at the
// recorded samples: a 32 MiB block (above every allocator's direct-map
// threshold, so its pages come and go with it) shows in the reading
// between its malloc and its free and not after; a 1 MiB block stays live
// to the end, and the peak of live bytes is read at its point.
func TestReplayMode(t *testing.T) {
	const big, small = 32 << 20, 1 << 20
	path := filepath.Join(t.TempDir(), "t.trace")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := trace.NewWriter(f)
	for _, e := range []trace.Event{
		{Op: trace.OpRSS, Time: 0, Size: 1 << 20},
		{Op: trace.OpMalloc, Time: 10, ID: 0, Size: small},
		{Op: trace.OpRealloc, Time: 11, OldID: 0, ID: 0, Size: small + 100},
		{Op: trace.OpMalloc, Time: 20, ID: 1, Size: big},
		{Op: trace.OpRSS, Time: 30, Size: 1<<20 + big},
		{Op: trace.OpFree, Time: 40, ID: 1},
		{Op: trace.OpRSS, Time: 50, Size: 1 << 20},
	} {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	bin := buildTwin(t)
	for _, a := range allocators {
		t.Run(a.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := Replay{Bin: bin, Trace: path, Touch: true, Env: preloadEnv(t, a.lib)}.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			x := res.RSS
			if res.PeakLive != big+small+100 || res.AtRecordedPeak != big+small+100 || x == nil || x.Samples != 3 {
				t.Fatalf("peak live %d, at the recorded peak %d, figures %+v; want %d twice and 3 samples", res.PeakLive, res.AtRecordedPeak, x, big+small+100)
			}
			// between: the big block and the small one; after: the small
			// one, except under tcmalloc, which keeps a freed span in its
			// page heap and gives it back gradually
			end := int64(4 * small)
			if a.name == "tcmalloc" {
				end += big
			}
			if x.Peak < big || x.Peak > big+4*small || x.Last > end {
				t.Errorf("peak %d, end %d above the baseline; want %d..%d and at most %d", x.Peak, x.Last, big, big+4*small, end)
			}
		})
	}
}

func TestParseReplay(t *testing.T) {
	rss, live, peak, err := parseReplay([]byte("sync 0 4096 0\nsync 1 8192 100\npeak 100\n"))
	if err != nil || len(rss) != 2 || rss[1] != 8192 || live[1] != 100 || peak != 100 {
		t.Errorf("got %v %v %d %v", rss, live, peak, err)
	}
	for _, bad := range []string{"", "sync 1 4096 0\npeak 1\n", "sync 0 x 0\npeak 1\n", "sync 0 1 1\n", "peak 1\npeak 2\n"} {
		if _, _, _, err := parseReplay([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
