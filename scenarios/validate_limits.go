package scenarios

import (
	"fmt"
	"strings"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/rundir"
)

// Validation of the blocks that say how a run is contained and judged:
// limit, rlimits and expect.

// MinLimit is the smallest memory cgroup limit (max or high) a run may
// set. The worker is charged for its own pages before it allocates
// anything: measured at 0.5 to 2.25 MiB with its binary already in the
// page cache (a 512 KiB limit OOM-kills it at start), more when the
// binary's pages are charged too. Below MinLimit a run could only show
// that.
const MinLimit = Size(4 << 20)

// MinRlimit is the smallest rlimit (address_space or data) a scenario may
// set. The worker sets it on top of what it has mapped already (its
// threads exist by then), so any size runs: measured, a 1-byte rlimit
// ends the first allocation with ENOMEM, and 1 MiB lets one or four
// workers allocate until ENOMEM. Below 1 MiB no scenario gets past its
// first allocations (glibc grows its heap 128 KiB at a time and maps
// blocks of 128 KiB and more on their own), and a size like 512 is a unit
// left out, not an experiment.
const MinRlimit = Size(1 << 20)

// limits checks the shape of the limit and rlimits blocks.
func (c *checker) limits(s *Scenario) error {
	if l := s.Limit; l != nil {
		if !c.has("limit.max") && !c.has("limit.high") && !c.has("limit.hugetlb") {
			return c.errf("limit", "want max, high and/or hugetlb")
		}
		if err := c.hugetlbLimit(l); err != nil {
			return err
		}
		for _, k := range []string{"max", "high"} {
			p := "limit." + k
			if v := map[string]Size{"max": l.Max, "high": l.High}[k]; c.has(p) && v < MinLimit && !(k == "max" && l.Inherit) {
				return c.errf(p, "want a limit of at least %v (what the worker needs to start), got %v", MinLimit, v)
			}
		}
		if c.has("limit.max") && c.has("limit.high") && !l.Inherit && l.High > l.Max {
			return c.errf("limit.high", "want high <= max (%v), got %v", l.Max, l.High)
		}
	}
	if r := s.Rlimits; r != nil {
		if !c.has("rlimits.address_space") && !c.has("rlimits.data") {
			return c.errf("rlimits", "want address_space and/or data")
		}
		for _, k := range []string{"address_space", "data"} {
			p := "rlimits." + k
			if v := map[string]Size{"address_space": r.AddressSpace, "data": r.Data}[k]; c.has(p) && v < MinRlimit {
				return c.errf(p, "want at least %v on top of the worker's own mappings (less stops the first allocations; was a unit left out?), got %v", MinRlimit, v)
			}
		}
	}
	return nil
}

// LimitNeeded returns nil when the scenario may run without a memory limit
// (see NeedsLimit). Otherwise it returns a *ScenarioError at the stop
// condition of the first allocate step that needs one, saying why and how
// to supply one.
func (s *Scenario) LimitNeeded() error {
	path, why := s.limitNeed()
	if path == "" {
		return nil
	}
	e := &ScenarioError{File: s.Path, Path: path}
	// The nodes of a parsed scenario are not kept: decode its text again,
	// once, for the position (Scale leaves the phases as they were).
	if _, c, err := decodeText([]byte(s.Source)); err == nil {
		if ce := c.errf(path, ""); ce != nil {
			e.Line, e.Col = ce.Line, ce.Col
		}
	}
	e.Msg = why + ", so it needs a memory limit: add limit: {max: SIZE} to the file, or run it with --limit SIZE (or --cgroup current inside a container whose memory is limited)"
	return e
}

// expect checks the expectations' grammar and names, so that a typo is an
// error at its line rather than a failed expectation after the run.
func (c *checker) expect(e *Expect) error {
	if e == nil {
		return nil
	}
	for _, o := range strings.Split(e.Outcome, "|") {
		if o = strings.TrimSpace(o); e.Outcome != "" && !rundir.KnownOutcome(o) {
			return c.errf("expect.outcome", "unknown outcome %q: want %s, or several joined by |", o, orList(outcomeNames()))
		}
	}
	if e.PeakUsage != "" {
		if _, err := parseConditions(e.PeakUsage, "peak_usage"); err != nil {
			return c.errf("expect.peak_usage", "%v", err)
		}
	}
	for name, text := range e.Phases {
		p := childPath("expect.phases", name)
		if _, ok := c.names[name]; !ok {
			return c.errKey(p, "no phase is named %q", name)
		}
		if _, err := parseConditions(text, ""); err != nil {
			return c.errf(p, "%v", err)
		}
	}
	for i, a := range e.Allocators {
		if _, ok := allocators.Lookup(a); !ok {
			return c.errf(fmt.Sprintf("expect.allocators[%d]", i), "want one of %s, got %q", strings.Join(allocators.Names(), ", "), a)
		}
	}
	return nil
}

// outcomeNames lists rundir.Outcomes, the table of outcomes, as strings.
func outcomeNames() []string {
	names := make([]string, len(rundir.Outcomes))
	for i, o := range rundir.Outcomes {
		names[i] = string(o)
	}
	return names
}
