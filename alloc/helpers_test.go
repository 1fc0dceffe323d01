package alloc

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// statusBytes reads a "kB" field of /proc/self/status (VmRSS, VmSize) in bytes.
func statusBytes(t testing.TB, field string) int64 {
	t.Helper()
	return kbField(t, "/proc/self/status", field)
}

// kbField reads a "Key: N kB" field of a /proc file in bytes.
func kbField(t testing.TB, path, field string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) != 2 || fs[1] != "kB" {
			t.Fatalf("%s %s: unexpected %q", path, field, v)
		}
		n, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			t.Fatalf("%s %s: %v", path, field, err)
		}
		return n << 10
	}
	t.Fatalf("%s has no %s", path, field)
	return 0
}

func newEngine(t testing.TB, seed uint64) (*Engine, *Counters) {
	t.Helper()
	c := new(Counters)
	e, err := NewEngine(seed, c)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	t.Cleanup(func() {
		if e.ce != nil {
			if err := e.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return e, c
}

func mustFill(t testing.TB, e *Engine, spec FillSpec) FillResult {
	t.Helper()
	r, err := e.Fill(spec, 1<<62)
	if err != nil {
		t.Fatalf("Fill(%+v): %v", spec, err)
	}
	return r
}

func sumSizes(objs []object) (n int64) {
	for _, o := range objs {
		n += o.size
	}
	return n
}

const mib = int64(1) << 20
