package record

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/memstorm/memstorm/trace"
)

func rawFile(count uint64, recs []rawRec) []byte {
	b := make([]byte, rawHeader)
	copy(b, rawMagic)
	binary.LittleEndian.PutUint64(b[8:], count)
	for _, r := range recs {
		var x [rawRecord]byte
		binary.LittleEndian.PutUint64(x[0:], r.t)
		binary.LittleEndian.PutUint64(x[8:], r.a)
		binary.LittleEndian.PutUint64(x[16:], r.b)
		binary.LittleEndian.PutUint64(x[24:], r.c)
		binary.LittleEndian.PutUint32(x[32:], r.tid)
		binary.LittleEndian.PutUint32(x[36:], r.op)
		b = append(b, x[:]...)
	}
	return b
}

// Addresses become recycled ids; what cannot be carried is counted.
func TestConvert(t *testing.T) {
	recs := []rawRec{
		{t: 1000, a: 0x1000, b: 10, tid: 7, op: uint32(trace.OpMalloc)},
		{t: 1100, a: 0x1000, b: 20, c: 0x1000, tid: 7, op: uint32(trace.OpRealloc)}, // in place
		{t: 1200, a: 0x9000, tid: 7, op: uint32(trace.OpFree)},                      // unknown
		{t: 1150, a: 0x2000, b: 8192, tid: 8, op: uint32(trace.OpMmap)},             // another thread's block: merged by time
		{t: 1300, a: 0x2000, b: 4096, tid: 8, op: uint32(trace.OpMunmap)},           // partial
		{t: 1400, a: 0x1000, b: 30, tid: 8, op: uint32(trace.OpMalloc)},             // at a live address
		{}, // the unused end of a block
		{t: 1500, a: 0x2000, b: 8192, tid: 7, op: uint32(trace.OpMunmap)},
	}
	raw := rawFile(uint64(len(recs)+1), recs) // one more claimed than the file holds
	var out bytes.Buffer
	w, err := trace.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Convert(bytes.NewReader(raw), int64(len(raw)), 1000, []RSSSample{{Mono: 1250, Bytes: 4096}}, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Losses{Unwritten: 1, UnknownFrees: 1, ReusedLive: 1, PartialUnmaps: 1}, l); d != "" {
		t.Errorf("losses (-want +got):\n%s", d)
	}
	r, err := trace.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	var got []trace.Event
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		got = append(got, e)
	}
	want := []trace.Event{
		{Op: trace.OpMalloc, Thread: 0, Time: 0, ID: 0, Size: 10},
		{Op: trace.OpRealloc, Thread: 0, Time: 100, OldID: 0, ID: 0, Size: 20},
		{Op: trace.OpMmap, Thread: 1, Time: 150, ID: 1, Size: 8192},
		{Op: trace.OpRSS, Thread: 1, Time: 250, Size: 4096},
		{Op: trace.OpFree, Thread: 1, Time: 400, ID: 0},
		{Op: trace.OpMalloc, Thread: 1, Time: 400, ID: 0, Size: 30},
		{Op: trace.OpMunmap, Thread: 0, Time: 500, ID: 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

func TestConvertNoHeader(t *testing.T) {
	w, _ := trace.NewWriter(&bytes.Buffer{})
	if _, err := Convert(bytes.NewReader([]byte("garbage")), 7, 0, nil, w); err == nil {
		t.Error("a file without the shim's header was converted")
	}
}

// TSC stamps become nanoseconds by the header's two pairs, and the threads'
// blocks merge in stamp order: a free in one thread's block before the
// malloc of the same address in another's, wherever the blocks lie.
func TestConvertTSCMerge(t *testing.T) {
	recs := []rawRec{
		// thread 8's block, claimed first
		{t: 30_000, a: 0x1000, b: 64, tid: 8, op: uint32(trace.OpMalloc)},
		{}, {},
		// thread 7's block
		{t: 10_000, a: 0x1000, b: 32, tid: 7, op: uint32(trace.OpMalloc)},
		{t: 20_000, a: 0x1000, tid: 7, op: uint32(trace.OpFree)},
		{t: 40_000, a: 0x1000, tid: 7, op: uint32(trace.OpFree)},
	}
	raw := rawFile(uint64(len(recs)), recs)
	binary.LittleEndian.PutUint32(raw[28:], 1)         // TSC
	binary.LittleEndian.PutUint64(raw[32:], 5_000_000) // init ns
	binary.LittleEndian.PutUint64(raw[48:], 0)         // init tick
	binary.LittleEndian.PutUint64(raw[56:], 4_000_000) // latest pair: 4M ticks
	binary.LittleEndian.PutUint64(raw[64:], 7_000_000) // = 2 ms later: 0.5 ns a tick
	var out bytes.Buffer
	w, _ := trace.NewWriter(&out)
	l, err := Convert(bytes.NewReader(raw), int64(len(raw)), 5_000_000, nil, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if l != (Losses{}) {
		t.Errorf("losses %+v, want none", l)
	}
	r, _ := trace.NewReader(&out)
	var got []trace.Event
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		got = append(got, e)
	}
	want := []trace.Event{
		{Op: trace.OpRSS, Time: 0}, // the shim's own reading at init (the header's RssAnon)
		{Op: trace.OpMalloc, Thread: 0, Time: 5_000, ID: 0, Size: 32},
		{Op: trace.OpFree, Thread: 0, Time: 10_000, ID: 0},
		{Op: trace.OpMalloc, Thread: 1, Time: 15_000, ID: 1, Size: 64}, // ids are recycled per thread
		{Op: trace.OpFree, Thread: 0, Time: 20_000, ID: 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}
