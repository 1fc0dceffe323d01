package record

import (
	"context"
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

func buildC(t *testing.T, src string) string {
	t.Helper()
	cc := testenv.RequireCommand(t, "cc", "apt-get install gcc")
	bin := filepath.Join(t.TempDir(), filepath.Base(src)+".bin")
	if out, err := exec.Command(cc, "-O1", "-o", bin, src, "-pthread").CombinedOutput(); err != nil {
		t.Fatalf("compiling %s: %v\n%s", src, err, out)
	}
	return bin
}

func readAll(t *testing.T, path string) ([]trace.Event, trace.Summary) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var evs []trace.Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return evs, r.Summary()
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
}

// Recording a program with threads, every call of the malloc family, an
// anonymous mapping, a fork and blocks never freed: the trace holds each
// call once, the frees on the second thread, none of the child's calls.
func TestRecordBusyProgram(t *testing.T) {
	bin := buildC(t, "testdata/busy.c")
	out := filepath.Join(t.TempDir(), "busy.trace")
	res, err := Run(context.Background(), Options{Out: out, Argv: []string{bin}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("busy exited %d under the shim", res.ExitCode)
	}
	evs, sum := readAll(t, out)
	count := map[trace.Op]int{}
	freesOn := map[uint32]int{}
	var big int
	for _, e := range evs {
		count[e.Op]++
		if e.Op == trace.OpFree {
			freesOn[e.Thread]++
		}
		if e.Size == 77777 {
			big++
		}
	}
	// The libc startup may allocate a few blocks of its own (stdio,
	// pthread_create's thread descriptor): at least, never fewer.
	for op, min := range map[trace.Op]int{trace.OpMalloc: 200 + 200 + 10, trace.OpCalloc: 200,
		trace.OpPosixMemalign: 200, trace.OpAlignedAlloc: 200, trace.OpRealloc: 200, trace.OpMmap: 1, trace.OpMunmap: 1} {
		if count[op] < min || count[op] > min+20 {
			t.Errorf("%d %v events, want %d (+ at most 20 of libc's own)", count[op], op, min)
		}
	}
	if freesOn[1] < 1000 {
		t.Errorf("thread 1 freed %d blocks, want the 1000 thread 0 allocated (frees per thread: %v)", freesOn[1], freesOn)
	}
	if big != 0 {
		t.Errorf("%d events of the forked child's 77777-byte blocks are in the trace", big)
	}
	if sum.LiveObjects < 10 || sum.Live < 50000 {
		t.Errorf("live at exit: %d objects, %d bytes; want the 10 blocks of 5000 never freed", sum.LiveObjects, sum.Live)
	}
	if sum.Threads < 2 {
		t.Errorf("%d threads, want 2", sum.Threads)
	}
	if res.Losses.UnknownFrees > 5 || res.Losses.Unwritten != 0 {
		t.Errorf("losses %+v", res.Losses)
	}
	if per := float64(res.Bytes) / float64(sum.Events); per > 16 {
		t.Errorf("%.1f bytes per event, want at most 16", per)
	}
}

// A program started through `#!/usr/bin/env` and an exec: the trace is the
// last image's (the shell script's own calls are dropped).
func TestRecordThroughExec(t *testing.T) {
	bin := buildC(t, "testdata/busy.c")
	script := filepath.Join(t.TempDir(), "wrap.sh")
	if err := os.WriteFile(script, []byte("#!/usr/bin/env bash\nx=$(echo sub)\nexec "+bin+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "wrap.trace")
	res, err := Run(context.Background(), Options{Out: out, Argv: []string{script}})
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := readAll(t, out)
	var aligned int
	for _, e := range evs {
		if e.Op == trace.OpAlignedAlloc {
			aligned++
		}
	}
	if res.ExitCode != 0 || aligned != 200 {
		t.Errorf("exit %d, %d aligned_alloc events; want 0 and busy's 200", res.ExitCode, aligned)
	}
}

func TestRecordMissingCompiler(t *testing.T) {
	t.Setenv("CC", "no-such-cc-memstorm")
	_, err := Run(context.Background(), Options{Out: filepath.Join(t.TempDir(), "x"), Argv: []string{"true"}})
	if err == nil || !strings.Contains(err.Error(), "no-such-cc-memstorm") {
		t.Errorf("err = %v, want one naming the compiler", err)
	}
}
