package rundir

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSamplesRoundTrip(t *testing.T) {
	full := Sample{T: 1.25, Phase: "fill", RSS: 270 << 20, Anon: 266 << 20, File: 4 << 20, Shmem: 0, Swap: 0,
		AnonHuge: 2 << 20, LazyFree: 0, MinFlt: 69000, MajFlt: 2, Live: 256 << 20, LiveObjects: 65536,
		AllocBytes: 300 << 20, FreeBytes: 44 << 20, HeapInuse: 257 << 20, HeapHeld: 265 << 20, HeapRetained: 1 << 20,
		CgroupUsage: 280 << 20, PSISomeAvg10: 3.5}
	absent := AbsentSample(2.5)
	absent.Phase = `odd, "quoted" phase`
	absent.RSS = 6 << 20
	want := []Sample{full, absent}

	var buf bytes.Buffer
	w, err := NewSampleWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if err := w.Write(&want[i]); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want header + 2:\n%s", len(lines), buf.String())
	}
	if got := strings.Count(lines[0], ",") + 1; got != len(sampleColumns) {
		t.Errorf("header has %d columns, want %d", got, len(sampleColumns))
	}
	// The absent row: t, phase, RSS set; every other cell empty.
	if !strings.HasSuffix(lines[2], ","+"6291456"+strings.Repeat(",", len(sampleColumns)-3)) {
		t.Errorf("absent cells not empty: %q", lines[2])
	}
	got, err := ReadSamples(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestSampleWriterNoAllocPerRow(t *testing.T) {
	w, err := NewSampleWriter(discard{})
	if err != nil {
		t.Fatal(err)
	}
	s := AbsentSample(1.5)
	s.Phase, s.RSS, s.Live, s.PSISomeAvg10 = "fill", 1<<30, 1<<29, 1.25
	w.Write(&s) // grow the buffer once
	if n := testing.AllocsPerRun(100, func() { w.Write(&s) }); n != 0 {
		t.Errorf("Write allocates %.0f times per row, want 0", n)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestReadSamplesOtherColumnSets(t *testing.T) {
	// An older file (fewer columns, other order) and a newer one (a column
	// this version does not know) both read; missing columns are Absent.
	in := "phase,t_s,rss_bytes,future_col\nfill,0.5,1024,xyz\n,1,,\n"
	got, err := ReadSamples(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	a := AbsentSample(0.5)
	a.Phase, a.RSS = "fill", 1024
	b := AbsentSample(1)
	if diff := cmp.Diff([]Sample{a, b}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadSamplesErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "samples.csv:1: no header"},
		{"no t_s", "phase,rss_bytes\nx,1\n", "samples.csv:1: header"},
		{"bad int", "t_s,rss_bytes\n0,1\n1,12x\n", "samples.csv:3: column rss_bytes: invalid integer"},
		{"bad float", "t_s,rss_bytes\n0,1\n1,2\nnope,3\n", "samples.csv:4: column t_s"},
		{"short row", "t_s,rss_bytes\n0,1\n1\n", "samples.csv:3: 1 fields, header has 2"},
		{"bad quote", "t_s,phase\n0,\"a\n", "samples.csv:2: quoted field opened on line 2 is never closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSamples(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestParseFloatMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var cases []string
	for i := 0; i < 20000; i++ {
		v := rng.Float64() * math.Pow(10, float64(rng.IntN(12)-4))
		cases = append(cases, strconv.FormatFloat(v, 'f', -1, 64), strconv.FormatFloat(v, 'f', rng.IntN(8), 64))
	}
	cases = append(cases, "0", "-0", "7200", "0.001", ".5", "-12.25", "1e3", "1.", "123456789012345678", "0.1234567890123456789", "NaN")
	for _, c := range cases {
		want, werr := strconv.ParseFloat(c, 64)
		got, gerr := parseFloat([]byte(c))
		if (werr != nil) != (gerr != nil) || (werr == nil && got != want && !(math.IsNaN(got) && math.IsNaN(want))) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv says %v, %v", c, got, gerr, want, werr)
		}
	}
	for _, bad := range []string{"", "-", "1.2.3", "12x", "--1"} {
		if _, err := parseFloat([]byte(bad)); err == nil {
			t.Errorf("parseFloat(%q) accepted", bad)
		}
	}
}

func TestParseIntBounds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-1", -1, true}, {"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", 0, false}, {"", 0, false}, {"-", 0, false}, {"1 ", 0, false}, {"+1", 0, false},
	} {
		got, err := parseInt([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseInt(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestReadSamplesQuotedPhaseAcrossLines(t *testing.T) {
	in := "t_s,phase,rss_bytes\r\n0.5,\"two\nlines, \"\"quoted\"\"\",7\r\n\n1,fill,8\n2,fill,9"
	got, err := ReadSamples(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := AbsentSample(0.5), AbsentSample(1), AbsentSample(2)
	a.Phase, a.RSS = "two\nlines, \"quoted\"", 7
	b.Phase, b.RSS = "fill", 8
	c.Phase, c.RSS = "fill", 9
	if diff := cmp.Diff([]Sample{a, b, c}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = ReadSamples(strings.NewReader("t_s,rss_bytes\n0,1\n\n1,x\n"))
	if err == nil || !strings.Contains(err.Error(), "samples.csv:4: column rss_bytes") {
		t.Errorf("error %v, want one naming line 4 (blank lines count)", err)
	}
}

// TestReadSamplesAllocsPerRow: reading must not allocate per row, else a
// million-sample run spends its time in the garbage collector.
func TestReadSamplesAllocsPerRow(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewSampleWriter(&buf)
	s := AbsentSample(0)
	s.Phase, s.RSS, s.Live, s.PSISomeAvg10 = "fill", 1<<30, 1<<29, 1.25
	const n = 20000
	for i := 0; i < n; i++ {
		s.T = float64(i) * 0.01
		w.Write(&s)
	}
	data := buf.Bytes()
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := readSamples(bytes.NewReader(data), int64(len(data)), SamplesFile); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 100 {
		t.Errorf("%.0f allocations reading %d rows, want a few per file", allocs, n)
	}
}
