package record

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/alloc"
)

// A real multi-threaded program (mheavy: 4 threads, each churning a ring of
// 1024 blocks) recorded and replayed on its own threads: every call is
// carried (the merged stamps put each free before the reuse of its
// address), and at the recorded peak's sync point, where every replay
// thread stands, the live bytes are the recorded peak exactly. Between
// sync points the threads run on their own, so the replay's own maximum
// may exceed it, by at most what the other threads allocate between two
// sync points (bounded here by their whole rings, 3 x 1024 x 2 KiB).
func TestRecordReplayThreads(t *testing.T) {
	bin := buildC(t, "testdata/mheavy.c")
	out := filepath.Join(t.TempDir(), "m.trace")
	res, err := Run(context.Background(), Options{Out: out, Argv: []string{bin, "4", "50000"}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("record: %v, exit %d", err, res.ExitCode)
	}
	if l := res.Losses; l.ReusedLive != 0 || l.UnknownFrees != 0 || l.Unrecorded != 0 || l.Unwritten != 0 {
		t.Errorf("losses %+v, want none", l)
	}
	sum := res.Summary
	if sum.Threads != 5 || sum.Allocs < 4*50000 {
		t.Fatalf("%d threads, %d allocations; want 5 and at least %d", sum.Threads, sum.Allocs, 4*50000)
	}
	r, err := alloc.LoadReplay(out, false)
	if err != nil {
		t.Fatal(err)
	}
	var c alloc.Counters
	e, err := alloc.NewEngine(1, &c)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rr, err := e.Replay(r, alloc.ReplayOptions{Touch: true})
	if err != nil {
		t.Fatal(err)
	}
	if rr.AtRecordedPeak != int64(sum.PeakLive) {
		t.Errorf("live at the recorded peak %d, want the trace's %d", rr.AtRecordedPeak, sum.PeakLive)
	}
	if rr.PeakLive < int64(sum.PeakLive) || rr.PeakLive > int64(sum.PeakLive)+3*1024*2016 {
		t.Errorf("the replay's own peak %d, want between the trace's %d and 6 MiB above", rr.PeakLive, sum.PeakLive)
	}
	if rr.RSS == nil || rr.RSS.Samples == 0 {
		t.Errorf("no RSS readings paired with the recorded samples: %+v", rr.RSS)
	}
	t.Logf("recorded peak %d; replay: at it %d, own max %d, %d ops on %d threads", sum.PeakLive, rr.AtRecordedPeak, rr.PeakLive, rr.Ops, r.Threads)
	if _, err := e.ReleaseReplay(r); err != nil {
		t.Fatal(err)
	}
}
