package alloc

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/memstorm/memstorm/trace"
)

func TestRopLayout(t *testing.T) {
	g, c := ropLayout()
	if d := cmp.Diff(c, g); d != "" {
		t.Errorf("Go rop differs from C ms_rop (-C +Go):\n%s", d)
	}
}

// writeTrace writes events as a trace file.
func writeTrace(t *testing.T, evs []trace.Event) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.trace")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := trace.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// pingPong: thread 0 allocates n objects, thread 1 frees each right after
// (cross-thread), thread 1 allocates into the freed ids, thread 0 frees
// those; every op waits on the other thread's.
func pingPong(n int) []trace.Event {
	var evs []trace.Event
	tm := int64(0)
	add := func(e trace.Event) { tm += 10; e.Time = tm; evs = append(evs, e) }
	for i := 0; i < n; i++ {
		add(trace.Event{Op: trace.OpMalloc, Thread: 0, ID: 0, Size: uint64(100 + i%50)})
		add(trace.Event{Op: trace.OpFree, Thread: 1, ID: 0})
		add(trace.Event{Op: trace.OpCalloc, Thread: 1, ID: 0, Size: 5000})
		add(trace.Event{Op: trace.OpRealloc, Thread: 0, OldID: 0, ID: 0, Size: 9000})
		add(trace.Event{Op: trace.OpPosixMemalign, Thread: 0, ID: 1, Size: 64, Align: 4096})
		add(trace.Event{Op: trace.OpFree, Thread: 1, ID: 1})
		add(trace.Event{Op: trace.OpFree, Thread: 1, ID: 0})
	}
	add(trace.Event{Op: trace.OpMmap, Thread: 1, ID: 0, Size: 1 << 20})
	add(trace.Event{Op: trace.OpMalloc, Thread: 0, ID: 1, Size: 777}) // live at the end
	add(trace.Event{Op: trace.OpMunmap, Thread: 0, ID: 0})
	return evs
}

func TestReplay(t *testing.T) {
	path := writeTrace(t, pingPong(2000))
	for _, one := range []bool{false, true} {
		r, err := LoadReplay(path, one)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if !one {
			want = 2
		}
		if r.Threads != want {
			t.Fatalf("oneThread %v: %d threads, want %d", one, r.Threads, want)
		}
		var c Counters
		e, err := NewEngine(1, &c)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Replay(r, ReplayOptions{Touch: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Ops != int64(r.Summary.Events) || res.Failures != 0 {
			t.Errorf("oneThread %v: %d ops, %d failures; want %d, 0", one, res.Ops, res.Failures, r.Summary.Events)
		}
		// The peak is the recorded one on one thread; with two the order
		// between dependent ops is the recorded one, so it is here too.
		if res.PeakLive != int64(r.Summary.PeakLive) || res.AtRecordedPeak != int64(r.Summary.PeakLive) {
			t.Errorf("oneThread %v: peak live %d, at the recorded peak %d; want the trace's %d", one, res.PeakLive, res.AtRecordedPeak, r.Summary.PeakLive)
		}
		if c.LiveBytes != 777 || c.LiveObjects != 1 || c.AllocOps != int64(r.Summary.Allocs) {
			t.Errorf("oneThread %v: counters %+v, want 777 B in 1 object live, %d allocations", one, c, r.Summary.Allocs)
		}
		if c.BookkeepingBytes < r.Bookkeeping() {
			t.Errorf("bookkeeping %d, want at least the replay's %d", c.BookkeepingBytes, r.Bookkeeping())
		}
		freed, err := e.ReleaseReplay(r)
		if err != nil || freed != 777 || c.LiveBytes != 0 || c.LiveObjects != 0 {
			t.Errorf("release: freed %d (%v), counters %+v; want 777 and nothing live", freed, err, c)
		}
		if _, err := e.Replay(r, ReplayOptions{}); err == nil {
			t.Error("a released replay ran again")
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReplayCorrupt(t *testing.T) {
	path := writeTrace(t, pingPong(3))
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)-2], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadReplay(path, false)
	var fe *trace.FormatError
	if !errorsAs(err, &fe) {
		t.Errorf("err = %v, want a *trace.FormatError", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// The recorded program's RSS samples are replayed as readings at the same
// points of the stream: a 64 MiB block shows in the reading between its
// malloc and free, and not after. 64 MiB is above the largest mmap
// threshold glibc's dynamic rule can reach (32 MiB), so the block is
// mmap'd and its pages go back at free whatever earlier tests freed.
func TestReplayRSSAtSamples(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	const big = 64 << 20
	path := writeTrace(t, []trace.Event{
		{Op: trace.OpRSS, Time: 0, Size: 1 << 20},
		{Op: trace.OpMalloc, Time: 10, ID: 0, Size: big},
		{Op: trace.OpRSS, Time: 20, Size: 1<<20 + big},
		{Op: trace.OpFree, Time: 30, ID: 0},
		{Op: trace.OpRSS, Time: 40, Size: 1 << 20},
	})
	r, err := LoadReplay(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var c Counters
	e, err := NewEngine(1, &c)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res, err := e.Replay(r, ReplayOptions{Touch: true})
	if err != nil {
		t.Fatal(err)
	}
	x := res.RSS
	if res.Ops != 2 || x == nil || x.Samples != 3 || x.RecPeak != big || x.RecLast != 0 {
		t.Fatalf("ops %d, figures %+v; want 2 ops and 3 samples, recorded peak %d and end 0", res.Ops, x, big)
	}
	// The reading is of the whole process: other goroutines' pages may come
	// and go by a MiB or so between readings.
	if x.Peak < big-(1<<20) || x.Peak > big+(2<<20) || x.Last > 1<<20 || x.Last < -(1<<20) {
		t.Errorf("replayed peak %d, end %d; want about %d and about 0", x.Peak, x.Last, big)
	}
}

// On two threads every sync point stops both: the reading after thread 1's
// 32 MiB malloc shows it whatever thread 0 is doing, the one after thread
// 0's cross-thread free does not, and the live bytes at the recorded
// peak's point are the recorded peak exactly. Between sync points the
// threads run on their own: thread 1 may allocate its block before thread
// 0 frees its own, so the replay's own peak may exceed the recorded one.
func TestReplaySyncThreads(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	const big = 32 << 20
	path := writeTrace(t, []trace.Event{
		{Op: trace.OpRSS, Time: 0, Size: 1 << 20},
		{Op: trace.OpMalloc, Thread: 0, Time: 10, ID: 0, Size: big},
		{Op: trace.OpFree, Thread: 0, Time: 11, ID: 0},
		{Op: trace.OpMalloc, Thread: 1, Time: 12, ID: 0, Size: big + 100},
		{Op: trace.OpRSS, Time: 20, Size: 1<<20 + big},
		{Op: trace.OpFree, Thread: 0, Time: 30, ID: 0},
		{Op: trace.OpRSS, Time: 40, Size: 1 << 20},
	})
	for range 20 {
		r, err := LoadReplay(path, false)
		if err != nil {
			t.Fatal(err)
		}
		if r.Threads != 2 {
			t.Fatalf("%d threads, want 2", r.Threads)
		}
		var c Counters
		e, err := NewEngine(1, &c)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Replay(r, ReplayOptions{Touch: true})
		e.Close()
		if err != nil {
			t.Fatal(err)
		}
		x := res.RSS
		if res.Ops != 4 || x == nil || x.Samples != 3 {
			t.Fatalf("ops %d, figures %+v; want 4 ops and 3 samples", res.Ops, x)
		}
		if res.AtRecordedPeak != big+100 || res.PeakLive < big+100 || res.PeakLive > 2*big+100 {
			t.Errorf("live at the recorded peak %d, own peak %d; want %d and between it and %d", res.AtRecordedPeak, res.PeakLive, big+100, 2*big+100)
		}
		if x.Peak < big-(1<<20) || x.Peak > big+(2<<20) || x.Last > 1<<20 || x.Last < -(1<<20) {
			t.Errorf("replayed peak %d, end %d; want about %d and about 0", x.Peak, x.Last, big)
		}
	}
}
