// Package mtrace imports the text glibc's mtrace(3) writes (MALLOC_TRACE,
// with libc_malloc_debug.so preloaded on glibc 2.34 and later) into a
// memstorm trace.
//
// A line is `@ CALLER OP ARGS`: `+ ADDR SIZE` an allocation (malloc,
// calloc and the aligned calls alike), `- ADDR` a free, `< ADDR` then
// `> ADDR SIZE` a realloc, `! ADDR SIZE` a realloc that failed; `= Start`
// and `= End` frame the trace.
package mtrace

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/trace"
)

// Lost is what mtrace's text does not hold.
var Lost = []string{
	"no threads: every call replays on one thread",
	"no time: every call is at time 0 (timing: recorded replays as asap)",
	"no call kind: calloc and the aligned calls read as malloc (no alignment)",
	"no mmap/munmap of the program's own, and no RSS samples",
	"calls before mtrace() was called, and after muntrace()",
}

const maxLine = 1 << 16

// Import reads mtrace text from r and writes the trace to w (and closes
// it). A line it cannot read is a *trace.LineError.
func Import(r io.Reader, w *trace.Writer) (trace.Imported, error) {
	res := trace.Imported{Format: "mtrace", Lost: Lost}
	ids := trace.NewIDs()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	var line int64
	fail := func(msg string) error { return &trace.LineError{Format: "mtrace", Line: line, Msg: msg} }
	pendingOld, pending := uint64(0), false
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "=" {
			continue
		}
		if f[0] != "@" {
			return res, fail("want a line starting with @ or =")
		}
		i := 1
		for i < len(f) && !isOp(f[i]) {
			i++
		}
		if i == len(f) {
			return res, fail("no operation (+, -, <, >, !)")
		}
		op, args := f[i], f[i+1:]
		want := map[string]int{"+": 2, "-": 1, "<": 1, ">": 2, "!": 2}[op]
		if len(args) != want {
			return res, fail("operation " + op + " wants " + strconv.Itoa(want) + " numbers")
		}
		nums := make([]uint64, len(args))
		for k, a := range args {
			v, err := strconv.ParseUint(strings.TrimPrefix(a, "0x"), 16, 64)
			if err != nil || !strings.HasPrefix(a, "0x") {
				return res, fail("want a 0x hex number, got " + strconv.Quote(a))
			}
			nums[k] = v
		}
		if (op == "+" || op == ">") && nums[1] > trace.MaxSize {
			return res, fail("size above 2^48")
		}
		if pending && op != ">" && op != "!" {
			return res, fail("a realloc's < line is not followed by its > line")
		}
		var err error
		switch op {
		case "+":
			err = alloc(w, ids, trace.Event{Op: trace.OpMalloc, Size: nums[1]}, nums[0], &res)
		case "-":
			id, ok := ids.Free(nums[0])
			if !ok {
				res.UnknownFrees++
				continue
			}
			err = write(w, trace.Event{Op: trace.OpFree, ID: id}, &res)
		case "<":
			pendingOld, pending = nums[0], true
		case ">":
			if !pending {
				return res, fail("a realloc's > line without its < line")
			}
			pending = false
			old, ok := ids.Free(pendingOld)
			e := trace.Event{Op: trace.OpRealloc, OldID: old, Size: nums[1]}
			if !ok {
				res.UnknownFrees++
				e.Op = trace.OpMalloc
			}
			err = alloc(w, ids, e, nums[0], &res)
		case "!":
			pending = false // the old block stays
		}
		if err != nil {
			return res, err
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return res, &trace.LineError{Format: "mtrace", Line: line + 1, Msg: "line longer than 64 KiB"}
		}
		return res, err
	}
	return res, w.Close()
}

func isOp(s string) bool { return s == "+" || s == "-" || s == "<" || s == ">" || s == "!" }

func alloc(w *trace.Writer, ids *trace.IDs, e trace.Event, addr uint64, res *trace.Imported) error {
	if prev, live := ids.Lookup(addr); live {
		// A block handed out twice: the free between was not traced.
		ids.Free(addr)
		res.UnknownFrees++
		if err := write(w, trace.Event{Op: trace.OpFree, ID: prev}, res); err != nil {
			return err
		}
	}
	id, _, _ := ids.Alloc(addr)
	e.ID = id
	return write(w, e, res)
}

func write(w *trace.Writer, e trace.Event, res *trace.Imported) error {
	res.Events++
	return w.Write(e)
}
