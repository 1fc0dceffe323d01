package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// Expectations are small comparisons checked against a finished run:
//
//	outcome: oom-killed                    (or several: "completed|stopped-at-limit")
//	peak_usage: 90%..100% of limit         (the cgroup's peak usage)
//	phases:
//	  punch-holes: anon/live >= 1.6
//	  free: rss < 50% of fill.rss and live == 0
//
// The grammar of a condition is in expect_grammar.go; this file checks them.

// Evaluate checks the scenario's expectations against a finished run. The
// outcome is always checked: without expect.outcome, the outcomes the
// scenario's own stop conditions lead to are expected (completed, plus
// oom-killed, enomem or stopped-at-limit where a phase allocates until
// that), so an unexpected OOM kill always fails the run.
func Evaluate(sc *Scenario, sum *rundir.Summary) []rundir.Expectation {
	var out []rundir.Expectation
	want := impliedOutcomes(sc)
	if sc.Expect != nil && sc.Expect.Outcome != "" {
		want = nil
		for _, o := range strings.Split(sc.Expect.Outcome, "|") {
			want = append(want, strings.TrimSpace(o))
		}
	}
	ok := false
	for _, w := range want {
		ok = ok || w == string(sum.Outcome)
	}
	out = append(out, rundir.Expectation{Expr: "outcome is " + strings.Join(want, " or "), Passed: ok, Observed: string(sum.Outcome)})
	if sc.Expect == nil || !appliesTo(sc.Expect.Allocators, sum.Allocator.Name) {
		return out
	}
	if sc.Expect.PeakUsage != "" {
		out = append(out, evalAll(sc, sc.Expect.PeakUsage, "peak_usage", "peak_usage", sum)...)
	}
	phases := make([]string, 0, len(sc.Expect.Phases))
	for p := range sc.Expect.Phases {
		phases = append(phases, p)
	}
	sort.Strings(phases)
	for _, p := range phases {
		// A repeated phase is checked at every repetition ("shrink#1",
		// "shrink#2", ...); a phase that never ran fails its expectation.
		runs := phaseRuns(sum.Phases, p)
		if len(runs) == 0 {
			runs = []string{p}
		}
		for _, r := range runs {
			out = append(out, evalAll(sc, sc.Expect.Phases[p], "", r, sum)...)
		}
	}
	return out
}

// phaseRuns lists the names under which phase name ran.
func phaseRuns(ps []rundir.PhaseSummary, name string) []string {
	var out []string
	for _, p := range ps {
		if rundir.IsRunOf(p.Name, name) {
			out = append(out, p.Name)
		}
	}
	return out
}

// appliesTo reports whether expectations scoped to allocators hold for a
// run under allocator a (no scope: every allocator).
func appliesTo(allocators []string, a string) bool {
	if len(allocators) == 0 {
		return true
	}
	for _, x := range allocators {
		if x == a {
			return true
		}
	}
	return false
}

func impliedOutcomes(sc *Scenario) []string {
	want := []string{string(rundir.OutcomeCompleted)}
	for _, st := range sc.Steps() {
		if a := st.Phase.Allocate; a != nil {
			if a.Until.OOM {
				want = appendOnce(want, string(rundir.OutcomeOOMKilled))
			}
			if a.Until.ENOMEM {
				want = appendOnce(want, string(rundir.OutcomeENOMEM))
			}
			if a.Until.Limit > 0 {
				want = appendOnce(want, string(rundir.OutcomeStoppedAtLimit))
			}
		}
	}
	return want
}

func appendOnce(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

func evalAll(sc *Scenario, s, metric, phase string, sum *rundir.Summary) []rundir.Expectation {
	conds, err := parseConditions(s, metric)
	label := phase + ": "
	if metric != "" {
		label = ""
	}
	if err != nil {
		return []rundir.Expectation{{Expr: label + s, Passed: false, Observed: err.Error()}}
	}
	var out []rundir.Expectation
	for _, c := range conds {
		out = append(out, evalCondition(sc, c, label, phase, sum))
	}
	return out
}

func evalCondition(sc *Scenario, c condition, label, phase string, sum *rundir.Summary) rundir.Expectation {
	e := rundir.Expectation{Expr: label + c.text}
	got, err := figure(c.metric, phase, sum)
	if err != nil {
		e.Observed = err.Error()
		return e
	}
	lo, err := c.lo.value(phase, sum)
	if err != nil {
		e.Observed = err.Error()
		return e
	}
	hi := lo
	if c.op == ".." {
		if hi, err = c.hi.value(phase, sum); err != nil {
			e.Observed = err.Error()
			return e
		}
	}
	// An upper bound given by the limit allows the kernel's forced charges.
	upper := hi
	switch {
	case c.op == ".." && c.hi.ref == "limit":
		upper += chargeSlack(sc, c.metric, sum)
	case (c.op == "<" || c.op == "<=") && c.lo.ref == "limit":
		upper += chargeSlack(sc, c.metric, sum)
	}
	switch c.op {
	case "<":
		e.Passed = got < upper
	case "<=":
		e.Passed = got <= upper
	case ">":
		e.Passed = got > lo
	case ">=":
		e.Passed = got >= lo
	case "==":
		e.Passed = got == lo
	case "!=":
		e.Passed = got != lo
	case "..":
		e.Passed = got >= lo && got <= upper
	}
	e.Observed = fmt.Sprintf("%s = %s", c.metric, formatFigure(c.metric, got))
	if c.lo.ref != "" {
		e.Observed += fmt.Sprintf("; %s = %s", c.lo.ref, formatFigure(c.lo.ref, lo/c.lo.num))
	}
	return e
}

func (o operand) value(phase string, sum *rundir.Summary) (float64, error) {
	if o.ref == "" {
		return o.num, nil
	}
	v, err := figure(o.ref, phase, sum)
	return o.num * v, err
}

// figure looks up a run or phase figure by name.
func figure(name, phase string, sum *rundir.Summary) (float64, error) {
	cg := sum.Cgroup
	switch name {
	case "peak_rss":
		return float64(sum.PeakRSSBytes), nil
	case "peak_live":
		return float64(sum.PeakLiveBytes), nil
	case "limit":
		if cg == nil || !cg.Limit.Bounded() {
			return 0, fmt.Errorf("the run had no memory limit")
		}
		b, _ := cg.Limit.Bytes()
		if b <= 0 {
			return 0, fmt.Errorf("the run had no memory limit")
		}
		return float64(b), nil
	case "peak_usage":
		if cg == nil {
			return 0, fmt.Errorf("the run had no memory cgroup")
		}
		return float64(cg.PeakUsageBytes), nil
	}
	if p, m, ok := strings.Cut(name, "."); ok {
		// PHASE.METRIC from a repetition refers to the same repetition of
		// PHASE where it has one ("grow.anon" from "shrink#2" is grow#2's).
		ref := p
		if _, k, rep := strings.Cut(phase, "#"); rep && sum.Phase(p+"#"+k) != nil {
			ref = p + "#" + k
		}
		phase, name = ref, m
	}
	ps := sum.Phase(phase)
	if ps == nil {
		ps = sum.LastRunOf(phase)
	}
	if ps == nil {
		return 0, fmt.Errorf("phase %q did not run", phase)
	}
	ratio := func(a, b int64) (float64, error) {
		r, ok := units.Ratio(a, b)
		if !ok {
			return 0, fmt.Errorf("%s at the end of %s is %s (%s over %s)", name, ps.Name, units.Undefined, units.FormatBytes(a), units.FormatBytes(b))
		}
		return r, nil
	}
	measured := func(v int64) (float64, error) {
		if !units.Known(v) {
			return 0, fmt.Errorf("%s at the end of %s is absent: this run did not measure it", name, ps.Name)
		}
		return float64(v), nil
	}
	if get, ok := phaseFigures[name]; ok {
		return measured(get(ps))
	}
	if r, ok := phaseRatios[name]; ok {
		return ratio(phaseFigures[r[0]](ps), phaseFigures[r[1]](ps))
	}
	return 0, fmt.Errorf("unknown figure %q", name)
}

// formatFigure writes an observed figure: a ratio to two decimals, bytes
// for people, with the exact count beside it where the rounded figure
// would hide a difference (a peak of the limit plus one page).
func formatFigure(name string, v float64) string {
	if strings.Contains(name, "/") {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	n := int64(v)
	short := units.FormatBytes(n)
	if back, err := units.ParseBytes(strings.ReplaceAll(short, " ", "")); err == nil && back == n {
		return short
	}
	return short + " (" + strconv.FormatInt(n, 10) + " bytes)"
}

// chargeSlack is how far above its limit a cgroup's figure (metric) may
// legitimately be. The memory controller never lets usage pass the limit
// on an ordinary charge, but a task that the OOM killer has already chosen
// (or an allocation that may not fail) is charged by force: each faulting
// thread can push the peak over the limit by the one page it was faulting
// in. So a limit compared as an upper bound allows one page per worker
// thread of the run. A figure sampled from the usage counter (cgroup_usage,
// and a peak memstorm could only sample) allows more: the kernel adds a
// charge to the counter before it compares it with the limit and takes it
// back when over (page_counter_try_charge), so a reader can see up to one
// charge batch (64 pages) above the limit per CPU charging at that moment:
// 52 pages over, once, in the cgroup v2 VM, writing page cache at the limit.
func chargeSlack(sc *Scenario, metric string, sum *rundir.Summary) float64 {
	page := int64(sum.Machine.PageSize)
	if page <= 0 {
		page = 4096
	}
	slack := page * int64(max(sc.Workers, 1)*max(sc.Processes, 1))
	sampled := metric == "cgroup_usage" || (metric == "peak_usage" && sum.Cgroup != nil && sum.Cgroup.PeakSource == "sampled")
	if sampled {
		slack += chargeBatch * page * int64(max(sum.Machine.UsableCPUs, 1))
	}
	return float64(slack)
}

// chargeBatch is the memory controller's charge batch in pages
// (MEMCG_CHARGE_BATCH).
const chargeBatch = 64
