package trace

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sample is a small trace of two threads with every op, a cross-thread free
// and a recycled id.
func sample() []Event {
	return []Event{
		{Op: OpMalloc, Thread: 0, Time: 100, ID: 0, Size: 24},
		{Op: OpCalloc, Thread: 0, Time: 150, ID: 1, Size: 4096},
		{Op: OpRSS, Thread: 0, Time: 160, Size: 1 << 20},
		{Op: OpPosixMemalign, Thread: 1, Time: 200, ID: 2, Size: 100, Align: 64},
		{Op: OpFree, Thread: 0, Time: 250, ID: 2},
		{Op: OpRealloc, Thread: 1, Time: 300, OldID: 0, ID: 0, Size: 1000},
		{Op: OpMmap, Thread: 1, Time: 310, ID: 2, Size: 1 << 21},
		{Op: OpAlignedAlloc, Thread: 0, Time: 320, ID: 3, Size: 64, Align: 32},
		{Op: OpMemalign, Thread: 0, Time: 320, ID: 4, Size: 64, Align: 4096},
		{Op: OpValloc, Thread: 2, Time: 330, ID: 5, Size: 10, Align: 4096},
		{Op: OpMunmap, Thread: 1, Time: 400, ID: 2},
		{Op: OpFree, Thread: 1, Time: 401, ID: 1},
	}
}

func encode(t testing.TB, evs []Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
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
	return buf.Bytes()
}

func decode(b []byte) ([]Event, Summary, error) {
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, Summary{}, err
	}
	var out []Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, r.Summary(), nil
		}
		if err != nil {
			return out, r.Summary(), err
		}
		out = append(out, e)
	}
}

func TestRoundTrip(t *testing.T) {
	in := sample()
	got, sum, err := decode(encode(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	want := Summary{Events: 12, Allocs: 8, Threads: 3, MaxObjects: 6, PeakLive: 24 + 4096 + 100 + 1000 + 1<<21 + 64 + 64 + 10 - 24 - 100,
		PeakObjects: 6, Live: 1000 + 64 + 64 + 10, LiveObjects: 4, Duration: 401, PeakRSS: 1 << 20, LastRSS: 1 << 20}
	// PeakLive: the mapping is live with everything but the freed memalign and the first malloc (reallocated).
	if d := cmp.Diff(want, sum); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
}

// Every proper prefix of a trace is refused as truncated with a
// FormatError, never read as a shorter trace.
func TestTruncated(t *testing.T) {
	b := encode(t, sample())
	for n := 0; n < len(b); n++ {
		_, _, err := decode(b[:n])
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("prefix of %d bytes of %d: err = %v, want a *FormatError", n, len(b), err)
		}
	}
}

func TestCorrupt(t *testing.T) {
	good := encode(t, sample())
	head := len(Magic)
	cases := []struct {
		name string
		b    []byte
		msg  string
	}{
		{"bad magic", append([]byte("MSTRACE\x02"), good[head:]...), "not a memstorm trace"},
		{"unknown tag", append(append([]byte(Magic), 0x0f), good[head:]...), "unknown tag 0x0f"},
		{"reserved bits", append(append([]byte(Magic), 0x21), good[head:]...), "unknown tag 0x21"},
		{"free of a dead id", encodeRaw(0x04, 0, 0, 0), "not live"},
		{"id skips", encodeRaw(0x01, 0, 0, 5, 8), "skips ids"},
		{"thread skips", encodeRaw(0x01, 3, 0, 0, 8), "thread 3 skips"},
		{"first event without thread", encodeRaw(0x11, 0, 0, 8), "names no thread"},
		{"alignment too large", encodeRaw(0x05, 0, 0, 0, 8, 60), "above 2^40"},
		{"size too large", encodeRaw(0x01, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "above"},
		{"varint overflow", encodeRaw(0x01, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "overflows"},
		{"end count wrong", append(append([]byte(Magic), 0x01, 0, 0, 0, 8), 0x19, 0, 7), "counts 7 events"},
		{"non-minimal varint", encodeRaw(0x01, 0, 0x80, 0x00, 0, 8), "not a minimal varint"},
		{"thread repeated", encodeRaw(0x01, 0, 0, 0, 8, 0x04, 0, 0, 0), "repeated"},
		{"data after end", append(append([]byte{}, good...), 0), "after the end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decode(tc.b)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FormatError", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.msg)) {
				t.Errorf("err = %q, want it to say %q", err, tc.msg)
			}
		})
	}
}

// encodeRaw is the magic followed by bytes, with an end record counting
// nothing (the reader fails before it).
func encodeRaw(b ...byte) []byte {
	return append(append([]byte(Magic), b...), 0x19, 0, 0)
}

func TestWriterRefuses(t *testing.T) {
	w, _ := NewWriter(io.Discard)
	if err := w.Write(Event{Op: OpMalloc, Thread: 1, Size: 1}); err == nil {
		t.Error("a first thread 1 was accepted; thread ids start at 0")
	}
	if err := w.Write(Event{Op: OpMalloc, Time: 10, Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Event{Op: OpMalloc, Time: 5, ID: 1, Size: 1}); err == nil {
		t.Error("time going backwards was accepted")
	}
	if err := w.Write(Event{Op: OpMemalign, Time: 10, ID: 1, Size: 1, Align: 48}); err == nil {
		t.Error("alignment 48 was accepted")
	}
}

// A long single-thread stream of small objects costs a few bytes an event.
func TestCompact(t *testing.T) {
	var evs []Event
	ids := NewIDs()
	for i := 0; i < 100000; i++ {
		addr := uint64(i%1000) * 64
		if i%2 == 1 {
			id, _ := ids.Free(addr)
			evs = append(evs, Event{Op: OpFree, Time: int64(i) * 80, ID: id})
			continue
		}
		id, _, _ := ids.Alloc(addr)
		evs = append(evs, Event{Op: OpMalloc, Time: int64(i) * 80, ID: id, Size: uint64(16 + i%500)})
	}
	b := encode(t, evs)
	if per := float64(len(b)) / float64(len(evs)); per > 6 {
		t.Errorf("%.1f bytes per event, want at most 6 (tag, dt, id, size of 1-2 bytes each)", per)
	}
}

func FuzzReader(f *testing.F) {
	f.Add(encode(f, sample()))
	f.Add([]byte(Magic))
	f.Add(encodeRaw(0x01, 0, 0, 0, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, sum, err := decode(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FormatError", err, err)
			}
			return
		}
		// What the reader accepts, the writer writes back byte for byte.
		if got := encode(t, evs); !bytes.Equal(got, b) {
			t.Fatalf("re-encoding an accepted trace gave different bytes")
		}
		if sum.Events != uint64(len(evs)) {
			t.Fatalf("summary counts %d events, read %d", sum.Events, len(evs))
		}
	})
}

// Ids freed on a thread are reused on that thread only.
func TestIDsPerThread(t *testing.T) {
	m := NewIDs()
	a, _, _ := m.Alloc(0x10)
	m.SetThread(1)
	m.Free(0x10) // thread 1 frees thread 0's object
	m.SetThread(0)
	if b, _, _ := m.Alloc(0x20); b == a {
		t.Errorf("thread 0 reused id %d that thread 1 freed", a)
	}
	m.SetThread(1)
	if c, _, _ := m.Alloc(0x30); c != a {
		t.Errorf("thread 1 got id %d, want the %d it freed", c, a)
	}
}
