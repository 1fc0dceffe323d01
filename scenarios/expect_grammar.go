package scenarios

// A condition is METRIC OP VALUE, or METRIC LO..HI; conditions join with
// "and". METRIC at a phase end is rss, anon, live, heap_inuse, heap_held,
// cgroup_usage, or the ratios rss/live, anon/live and heap_held/heap_inuse.
// anon (RssAnon) is what the allocator holds; rss adds the file pages of the
// worker binary itself (about 16 MiB), which matters at small sizes. VALUE
// is a number, a size (64MiB), P% of REF or F * REF, where REF is limit,
// peak_rss, peak_live, peak_usage, a metric of the same phase, or
// PHASE.METRIC.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/rundir"
)

// condition is one parsed comparison.
type condition struct {
	text   string
	metric string
	op     string // <, <=, >, >=, ==, != or ".." for a closed range
	lo, hi operand
}

// operand is a literal or a share of a reference figure.
type operand struct {
	num float64
	ref string // "" for a literal; else num is a fraction of ref
}

// phaseFigures are the figures a phase end records, by the name an
// expectation uses; phaseRatios divide two of them. The grammar accepts
// these names and evaluation reads them, from this one table.
var phaseFigures = map[string]func(*rundir.PhaseSummary) int64{
	"rss":          func(p *rundir.PhaseSummary) int64 { return p.RSSBytes },
	"anon":         func(p *rundir.PhaseSummary) int64 { return p.AnonBytes },
	"live":         func(p *rundir.PhaseSummary) int64 { return p.LiveBytes },
	"heap_inuse":   func(p *rundir.PhaseSummary) int64 { return p.HeapInuseBytes },
	"heap_held":    func(p *rundir.PhaseSummary) int64 { return p.HeapHeldBytes },
	"cgroup_usage": func(p *rundir.PhaseSummary) int64 { return p.CgroupUsageBytes },
}

var phaseRatios = map[string][2]string{
	"rss/live":             {"rss", "live"},
	"anon/live":            {"anon", "live"},
	"heap_held/heap_inuse": {"heap_held", "heap_inuse"},
}

// phaseMetrics are the names of phaseFigures and phaseRatios.
var phaseMetrics = func() map[string]bool {
	m := map[string]bool{}
	for k := range phaseFigures {
		m[k] = true
	}
	for k := range phaseRatios {
		m[k] = true
	}
	return m
}()

var runRefs = map[string]bool{"limit": true, "peak_rss": true, "peak_live": true, "peak_usage": true}

// parseConditions parses "c1 and c2 ...". metric, when not empty, is the
// implicit left side (peak_usage: "90%..100% of limit").
func parseConditions(s, metric string) ([]condition, error) {
	var out []condition
	for _, part := range strings.Split(s, " and ") {
		c, err := parseCondition(strings.TrimSpace(part), metric)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func parseCondition(s, metric string) (condition, error) {
	c := condition{text: s}
	f := strings.Fields(s)
	if len(f) == 0 {
		return c, fmt.Errorf("want a condition on each side of \"and\", e.g. \"anon/live >= 1.6 and rss < 1GiB\", got nothing")
	}
	if metric == "" {
		if len(f) < 2 {
			return c, fmt.Errorf("%q: want METRIC OP VALUE, e.g. \"anon/live >= 1.6\"", s)
		}
		metric, f = f[0], f[1:]
		if !phaseMetrics[metric] {
			return c, fmt.Errorf("%q: unknown metric %q: want one of %s", s, metric, strings.Join(sortedKeys(phaseMetrics), ", "))
		}
	}
	c.metric = metric
	switch f[0] {
	case "<", "<=", ">", ">=", "==", "!=":
		c.op, f = f[0], f[1:]
	default:
		c.op = ".."
	}
	rest := strings.Join(f, " ")
	if c.op == ".." {
		lo, hi, ok := strings.Cut(rest, "..")
		if !ok {
			return c, fmt.Errorf("%q: want an operator (<, <=, >, >=, ==, !=) or a range LO..HI", s)
		}
		// "90%..100% of limit": the "of REF" belongs to both ends.
		if _, ref, has := strings.Cut(hi, " of "); has && !strings.Contains(lo, " of ") {
			lo += " of " + ref
		}
		var err error
		if c.lo, err = parseOperand(strings.TrimSpace(lo)); err != nil {
			return c, fmt.Errorf("%q: %w", s, err)
		}
		if c.hi, err = parseOperand(strings.TrimSpace(hi)); err != nil {
			return c, fmt.Errorf("%q: %w", s, err)
		}
		return c, nil
	}
	var err error
	if c.lo, err = parseOperand(rest); err != nil {
		return c, fmt.Errorf("%q: %w", s, err)
	}
	return c, nil
}

func parseOperand(s string) (operand, error) {
	if pct, ref, ok := strings.Cut(s, " of "); ok {
		pct = strings.TrimSpace(pct)
		if !strings.HasSuffix(pct, "%") {
			return operand{}, fmt.Errorf("%q: want P%% of REF", s)
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(pct, "%"), 64)
		if err != nil {
			return operand{}, fmt.Errorf("%q: %q is not a percentage", s, pct)
		}
		if !finite(v) {
			return operand{}, fmt.Errorf("%q: want a finite percentage, got %q", s, pct)
		}
		ref = strings.TrimSpace(ref)
		if err := checkRef(ref); err != nil {
			return operand{}, err
		}
		return operand{num: v / 100, ref: ref}, nil
	}
	if f, ref, ok := strings.Cut(s, " * "); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return operand{}, fmt.Errorf("%q: %q is not a number", s, f)
		}
		if !finite(v) {
			return operand{}, fmt.Errorf("%q: want a finite number, got %q", s, f)
		}
		ref = strings.TrimSpace(ref)
		if err := checkRef(ref); err != nil {
			return operand{}, err
		}
		return operand{num: v, ref: ref}, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if !finite(v) {
			return operand{}, fmt.Errorf("%q: want a finite number", s)
		}
		return operand{num: v}, nil
	}
	if v, err := ParseSize(s); err == nil {
		return operand{num: float64(v)}, nil
	}
	return operand{}, fmt.Errorf("%q: want a number, a size like 64MiB, or P%% of REF", s)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func checkRef(ref string) error {
	if runRefs[ref] || phaseMetrics[ref] {
		return nil
	}
	if _, m, ok := strings.Cut(ref, "."); ok && phaseMetrics[m] {
		return nil
	}
	return fmt.Errorf("unknown reference %q: want limit, peak_rss, peak_live, peak_usage, a metric (rss, live, ...) or PHASE.METRIC", ref)
}

func sortedKeys(m map[string]bool) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}
