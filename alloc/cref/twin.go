package cref

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/memstorm/memstorm/alloc"
)

// A Step is one operation of a twin run, written as the reference program's
// argument (see src/twin.c). Build steps with Fill, Free, Trim, Hold, Pin and
// Poke.
type Step string

// Fill mallocs objects with sizes from d, from the twin's seeded engine,
// until bytes requested bytes (the object reaching it included), touching
// every page as a worker's Fill with Touch does. Histogram sizes are not
// supported: Run fails on them.
func Fill(bytes int64, d alloc.Dist) Step {
	var dist string
	switch d.Kind {
	case alloc.Fixed:
		dist = fmt.Sprintf("fixed:%d", d.Value)
	case alloc.Uniform:
		dist = fmt.Sprintf("uniform:%d:%d", d.Min, d.Max)
	case alloc.Lognormal:
		dist = fmt.Sprintf("lognormal:%d:%s:%d:%d", d.Median, strconv.FormatFloat(d.Sigma, 'g', -1, 64), max(d.Min, 1), d.Max)
	case alloc.Pareto:
		dist = fmt.Sprintf("pareto:%d:%s:%d", d.Min, strconv.FormatFloat(d.Alpha, 'g', -1, 64), d.Max)
	default:
		dist = d.Kind.String()
	}
	return Step(fmt.Sprintf("fill:%d:%s", bytes, dist))
}

// FillUntouched is Fill without touching the objects.
func FillUntouched(bytes int64, d alloc.Dist) Step { return Fill(bytes, d) + ":notouch" }

// Free frees the objects sel selects, with the engine's own chooser.
func Free(sel alloc.Selection) Step {
	var s string
	switch sel.Pattern {
	case alloc.All:
		s = "all"
	case alloc.EveryNth:
		s = fmt.Sprintf("every:%d", sel.N)
	case alloc.KeepOnePerPage:
		s = "keep-one-per-page"
	case alloc.Random:
		s = fmt.Sprintf("random:%s:%d", ftoa(sel.Fraction), sel.Seed)
	case alloc.Oldest, alloc.Newest:
		s = sel.Pattern.String() + ":" + ftoa(sel.Fraction)
	case alloc.LargerThan:
		s = fmt.Sprintf("larger:%d", sel.Size)
	case alloc.SmallerThan:
		s = fmt.Sprintf("smaller:%d", sel.Size)
	default:
		s = sel.Pattern.String()
	}
	if sel.Last > 0 {
		s += fmt.Sprintf(":last=%d", sel.Last)
	}
	return Step("free:" + s)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Trim runs alloc.TrimSteps's release (the same C code).
func Trim() Step { return "trim" }

// Hold sleeps for d (whole milliseconds).
func Hold(d time.Duration) Step { return Step(fmt.Sprintf("hold:%d", d.Milliseconds())) }

// Pin mallocs one object of size bytes outside the engine and keeps it to
// the end: Free(All) does not free it.
func Pin(size int64) Step { return Step(fmt.Sprintf("pin:%d", size)) }

// Poke mallocs one object of size bytes and frees it at once.
func Poke(size int64) Step { return Step(fmt.Sprintf("poke:%d", size)) }

// Twin is one run of the reference program's twin mode.
type Twin struct {
	// Bin is the program Build made.
	Bin string
	// Seed seeds the engine's size stream: a worker's thread 0 with the
	// same seed allocates the same sizes in the same order.
	Seed  uint64
	Steps []Step
	// Env is added to this process's environment, e.g. LD_PRELOAD of an
	// allocator, GLIBC_TUNABLES or MALLOC_CONF.
	Env []string
	// Heap also records the allocator's heap held after each step
	// (alloc.Heap's Held, which allocates nothing).
	Heap bool
}

// Phase is the state after one step.
type Phase struct {
	Step Step
	// Anon is RssAnon, in bytes.
	Anon int64
	// Held is the allocator's heap held, in bytes; -1 without Twin.Heap or
	// when the allocator does not tell.
	Held int64
	// Detail is what the step reported: objects and bytes of a fill or a
	// free, the calls a trim made.
	Detail string
}

// Result is a twin run: the allocator it found, its state before the first
// step, and after each step.
type Result struct {
	// Allocator is the path and version of the library serving malloc.
	Allocator string
	Start     Phase
	Phases    []Phase
}

// Run runs the twin and parses its report. The program's standard error is
// part of the error.
func (t Twin) Run(ctx context.Context) (Result, error) {
	args := []string{"twin"}
	if t.Heap {
		args = append(args, "-heap")
	}
	args = append(args, strconv.FormatUint(t.Seed, 10))
	for _, s := range t.Steps {
		args = append(args, string(s))
	}
	cmd := exec.CommandContext(ctx, t.Bin, args...)
	cmd.Env = append(os.Environ(), t.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("cref: %s %s: %w: %s", t.Bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	phases, err := parseTwin(out)
	if err != nil {
		return Result{}, fmt.Errorf("cref: %s %s: %w", t.Bin, strings.Join(args, " "), err)
	}
	if len(phases) != len(t.Steps)+1 {
		return Result{}, fmt.Errorf("cref: %s %s: %d report lines for %d steps", t.Bin, strings.Join(args, " "), len(phases), len(t.Steps))
	}
	r := Result{Allocator: phases[0].Detail, Start: phases[0], Phases: phases[1:]}
	r.Start.Detail = ""
	return r, nil
}

// parseTwin reads the twin's report: STEP, RssAnon, held, detail, tab-separated.
func parseTwin(b []byte) ([]Phase, error) {
	var phases []Phase
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		f := strings.SplitN(sc.Text(), "\t", 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("report line %d: %q: want 4 tab-separated fields", line, sc.Text())
		}
		anon, err1 := strconv.ParseInt(f[1], 10, 64)
		held, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || anon < 0 {
			return nil, fmt.Errorf("report line %d: %q: bad RssAnon or held", line, sc.Text())
		}
		phases = append(phases, Phase{Step: Step(f[0]), Anon: anon, Held: held, Detail: f[3]})
	}
	return phases, sc.Err()
}
