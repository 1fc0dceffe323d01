package mtrace

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/trace"
)

func importText(t *testing.T, text string) (trace.Imported, trace.Summary, error) {
	t.Helper()
	var buf bytes.Buffer
	w, err := trace.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(strings.NewReader(text), w)
	if err != nil {
		return res, trace.Summary{}, err
	}
	r, err := trace.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := r.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("the imported trace does not read back: %v", err)
		}
	}
	return res, r.Summary(), nil
}

// testdata/glibc-2.36.mtrace is mt.c run with libc_malloc_debug.so.0 and
// MALLOC_TRACE on glibc 2.36: 100 mallocs of 10..109 bytes, every other
// freed, one realloc to 5000, a calloc of 400 freed, the realloc'd block
// freed; 49 blocks stay live.
func TestImportGlibcCapture(t *testing.T) {
	b, err := os.ReadFile("testdata/glibc-2.36.mtrace")
	if err != nil {
		t.Fatal(err)
	}
	res, sum, err := importText(t, string(b))
	if err != nil {
		t.Fatal(err)
	}
	var live uint64
	for i := 0; i < 100; i++ {
		live += uint64(10 + i)
	}
	// peak: all 100, then the evens freed, block 1 grown to 5000, the calloc.
	var odd uint64
	for i := 1; i < 100; i += 2 {
		odd += uint64(10 + i)
	}
	wantPeak := max(live, odd-11+5000+400)
	if sum.Allocs != 102 || sum.Events != 154 || sum.PeakLive != wantPeak || sum.LiveObjects != 49 || res.UnknownFrees != 0 {
		t.Errorf("summary %+v, unknown frees %d; want 102 allocations, 154 events, peak %d, 49 live", sum, res.UnknownFrees, wantPeak)
	}
	if sum.Threads != 1 || len(res.Lost) == 0 {
		t.Errorf("threads %d, lost %q: want one thread and the losses listed", sum.Threads, res.Lost)
	}
}

func TestImportErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"not mtrace", "root:x:0:0\n", "line 1: want a line starting with @ or ="},
		{"no op", "= Start\n@ ./p:[0x1] 0x10\n", "line 2: no operation"},
		{"bad number", "@ ./p:[0x1] + 0x10 12\n", "want a 0x hex number"},
		{"few numbers", "@ ./p:[0x1] + 0x10\n", "wants 2 numbers"},
		{"realloc half", "@ [0x1] + 0x10 0x8\n@ [0x1] < 0x10\n@ [0x1] + 0x20 0x8\n", "line 3: a realloc's < line is not followed"},
		{"realloc other half", "@ [0x1] > 0x10 0x8\n", "without its < line"},
		{"huge size", "@ [0x1] + 0x10 0xffffffffffffff\n", "above 2^48"},
		{"long line", "@ " + strings.Repeat("x", 70000) + "\n", "longer than 64 KiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := importText(t, tc.text)
			var le *trace.LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a LineError saying %q", err, tc.want)
			}
		})
	}
}

func TestImportUnknownFree(t *testing.T) {
	res, sum, err := importText(t, "@ [0x1] - 0x99\n@ [0x1] + 0x10 0x8\n@ [0x1] + 0x10 0x9\n")
	if err != nil {
		t.Fatal(err)
	}
	// The second allocation at 0x10 ends the first (its free was not traced).
	if res.UnknownFrees != 2 || sum.LiveObjects != 1 || sum.Live != 9 {
		t.Errorf("unknown %d, summary %+v; want 2 unknown frees and 9 bytes in 1 object live", res.UnknownFrees, sum)
	}
}
