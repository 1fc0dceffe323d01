package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/trace"
)

// Options is one recording.
type Options struct {
	Out         string        // the trace file to write (must not exist)
	Argv        []string      // the program and its arguments
	SampleEvery time.Duration // RSS sampling interval; default 5ms
	Stdout      *os.File      // the program's standard streams (nil: /dev/null)
	Stderr      *os.File
	Env         []string // extra environment (NAME=value)
}

// Result is what a recording produced.
type Result struct {
	Summary  trace.Summary
	Losses   Losses
	Bytes    int64         // trace file size
	Wall     time.Duration // the program's run time
	ExitCode int           // the program's; -1 when a signal ended it
	Signal   string
}

// Run records opts.Argv and writes the trace to opts.Out. The trace is
// written even when the program fails; ExitCode tells. An error is
// memstorm's own (no compiler, the program could not start, a file).
func Run(ctx context.Context, opts Options) (Result, error) {
	var res Result
	if len(opts.Argv) == 0 {
		return res, errors.New("record: no program given")
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = 5 * time.Millisecond
	}
	dir, err := os.MkdirTemp("", "memstorm-record-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	so, err := BuildShim(dir)
	if err != nil {
		return res, err
	}
	rawPath := filepath.Join(dir, "raw")
	cmd := exec.CommandContext(ctx, opts.Argv[0], opts.Argv[1:]...)
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Env = setPreload(cmd.Env, so)
	cmd.Env = append(cmd.Env, "MEMSTORM_RECORD_FILE="+rawPath)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, opts.Stdout, opts.Stderr
	start := monoNow()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("starting %s: %w", opts.Argv[0], err)
	}
	rss := sampleRSS(cmd.Process.Pid, opts.SampleEvery)
	werr := cmd.Wait()
	res.Wall = time.Since(t0)
	samples := rss.stop()
	res.ExitCode = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(unix.WaitStatus); ok && ws.Signaled() {
		res.Signal = ws.Signal().String()
	}
	var exitErr *exec.ExitError
	if werr != nil && !errors.As(werr, &exitErr) {
		return res, fmt.Errorf("waiting for %s: %w", opts.Argv[0], werr)
	}
	return res, convertFile(rawPath, opts.Out, start, samples, &res)
}

func convertFile(rawPath, out string, start int64, samples []RSSSample, res *Result) error {
	raw, err := os.Open(rawPath)
	if err != nil {
		return fmt.Errorf("the program wrote no records (was it linked statically, or did it exit before its first allocation?): %w", err)
	}
	defer raw.Close()
	st, err := raw.Stat()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating the trace: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(out)
		}
	}()
	w, err := trace.NewWriter(f)
	if err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	res.Losses, err = Convert(raw, st.Size(), start, samples, w)
	if err != nil {
		return fmt.Errorf("converting the records into %s: %w", out, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	ok = true
	sum, size, err := Summarize(out)
	res.Summary, res.Bytes = sum, size
	return err
}

// Summarize reads a trace file through and returns its summary and size.
func Summarize(path string) (trace.Summary, int64, error) {
	sum, err := trace.Scan(path)
	if err != nil {
		return sum, 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return sum, 0, err
	}
	return sum, st.Size(), nil
}

// setPreload puts the shim first in LD_PRELOAD, keeping what was there (an
// allocator to record under, for one).
func setPreload(env []string, so string) []string {
	out := env[:0:0]
	pre := so
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "LD_PRELOAD="); ok {
			if v != "" {
				pre = so + ":" + v
			}
			continue
		}
		out = append(out, kv)
	}
	return append(out, "LD_PRELOAD="+pre)
}

func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// maxReadNs bounds how long a reading of /proc/PID/status may take and be kept.
const maxReadNs = 500_000

type rssSampler struct {
	done chan struct{}
	out  chan []RSSSample
}

// sampleRSS reads RssAnon of pid every interval until stop.
func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{done: make(chan struct{}), out: make(chan []RSSSample, 1)}
	p := procfs.NewFS("/proc").Proc(pid)
	go func() {
		var got []RSSSample
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			// The reading is placed in the stream at the middle of the read;
			// one that took long (this goroutine descheduled on a busy
			// machine) is dropped: while the program allocates fast, its
			// place in the stream would be off by thousands of calls.
			t0 := monoNow()
			st, err := p.Status()
			if t1 := monoNow(); err == nil && t1-t0 <= maxReadNs {
				got = append(got, RSSSample{Mono: t0 + (t1-t0)/2, Bytes: uint64(st.RssAnon)})
			}
			select {
			case <-s.done:
				s.out <- got
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() []RSSSample {
	close(s.done)
	return <-s.out
}
