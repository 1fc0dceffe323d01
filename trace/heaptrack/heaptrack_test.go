package heaptrack

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/trace"
)

func importFile(t *testing.T, r io.Reader) (trace.Imported, trace.Summary, error) {
	t.Helper()
	text, err := Open(r)
	if err != nil {
		return trace.Imported{}, trace.Summary{}, err
	}
	defer text.Close()
	var buf bytes.Buffer
	w, err := trace.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(text, w)
	if err != nil {
		return res, trace.Summary{}, err
	}
	rd, err := trace.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return res, rd.Summary(), nil
		}
		if err != nil {
			t.Fatalf("the imported trace does not read back: %v", err)
		}
	}
}

// t1.c mallocs 1000 blocks of 100..1099 bytes and frees them all; libc adds
// its stdio buffer (0x11c00 bytes, freed at exit).
func checkT1(t *testing.T, res trace.Imported, sum trace.Summary) {
	t.Helper()
	var peak uint64 = 0x11c00
	for i := 0; i < 1000; i++ {
		peak += uint64(100 + i)
	}
	if sum.Allocs != 1001 || sum.PeakLive != peak || sum.LiveObjects != 0 || res.UnknownFrees != 0 {
		t.Errorf("summary %+v, unknown frees %d; want 1001 allocations, peak %d, nothing live", sum, res.UnknownFrees, peak)
	}
}

func TestImportCaptured(t *testing.T) {
	for _, name := range []string{"t1-heaptrack-1.4.zst", "t1-heaptrack-1.4-raw.zst"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, sum, err := importFile(t, f)
			if err != nil {
				t.Fatal(err)
			}
			checkT1(t, res, sum)
			raw := strings.Contains(name, "raw")
			if hasInterp := len(res.Lost) == len(Lost)+1; hasInterp == raw {
				t.Errorf("lost %q: the interpreted file's guess listed %v, want %v", res.Lost, hasInterp, !raw)
			}
		})
	}
}

// The same text gzip'd reads the same.
func TestImportGzip(t *testing.T) {
	f, err := os.Open("testdata/t1-heaptrack-1.4.zst")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	text, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := io.Copy(zw, text); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	res, sum, err := importFile(t, &gz)
	if err != nil {
		t.Fatal(err)
	}
	checkT1(t, res, sum)
}

// heaptrack itself, on a program built here: default and raw files.
func TestImportLiveHeaptrack(t *testing.T) {
	ht := testenv.RequireCommand(t, "heaptrack", "apt-get install heaptrack")
	cc := testenv.RequireCommand(t, "cc", "apt-get install gcc")
	dir := t.TempDir()
	bin := filepath.Join(dir, "t1")
	if out, err := exec.Command(cc, "-O1", "-o", bin, "testdata/t1.c").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, raw := range []bool{false, true} {
		args := []string{"-o", filepath.Join(dir, "out")}
		if raw {
			args = append(args, "-r")
		}
		cmd := exec.Command(ht, append(args, bin)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("heaptrack: %v\n%s", err, out)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "out*"))
		if len(files) != 1 {
			t.Fatalf("heaptrack wrote %v, want one file", files)
		}
		f, err := os.Open(files[0])
		if err != nil {
			t.Fatal(err)
		}
		res, sum, err := importFile(t, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkT1(t, res, sum)
		os.Remove(files[0])
	}
}

func TestImportErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"not heaptrack", "hello\n", "line 1: not a heaptrack file"},
		{"file version", "v 10400 9\n", "file version \"9\""},
		{"undefined class", "v 10400 3\na 10 1\n+ 1\n", "line 3: allocation class 1 not defined"},
		{"bad hex", "v 10400 3\na zz 1\n", "want a hex number"},
		{"few numbers", "v 10400 3\na 10\n", "wants 2 numbers"},
		{"empty", "", "no version line"},
		{"blank", "   \n\t\n", "no version line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := importFile(t, strings.NewReader(tc.text))
			var le *trace.LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a LineError saying %q", err, tc.want)
			}
		})
	}
	// A zstd stream cut short is an error, not a shorter trace.
	b, _ := os.ReadFile("testdata/t1-heaptrack-1.4.zst")
	if _, _, err := importFile(t, bytes.NewReader(b[:len(b)/2])); err == nil {
		t.Error("half a zstd file imported without error")
	}
}
