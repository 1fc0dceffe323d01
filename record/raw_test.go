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
		{t: 1150, a: 0x2000, b: 8192, tid: 8, op: uint32(trace.OpMmap)},             // earlier time: clamped
		{t: 1300, a: 0x2000, b: 4096, tid: 8, op: uint32(trace.OpMunmap)},           // partial
		{t: 1400, a: 0x1000, b: 30, tid: 8, op: uint32(trace.OpMalloc)},             // at a live address
		{}, // claimed, never written
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
	if d := cmp.Diff(Losses{Unwritten: 2, UnknownFrees: 1, ReusedLive: 1, PartialUnmaps: 1, Reordered: 1}, l); d != "" {
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
		{Op: trace.OpMmap, Thread: 1, Time: 200, ID: 1, Size: 8192},
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
