package scenarios

import (
	"fmt"
	"strings"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/rundir"
)

// Validation of the blocks that say how a run is contained and judged:
// limit, rlimits and expect.

// limits checks the shape of the limit and rlimits blocks.
func (c *checker) limits(s *Scenario) error {
	if l := s.Limit; l != nil {
		if !c.has("limit.max") && !c.has("limit.high") {
			return c.errf("limit", "want max and/or high")
		}
		for _, k := range []string{"max", "high"} {
			p := "limit." + k
			if v := map[string]Size{"max": l.Max, "high": l.High}[k]; c.has(p) && v <= 0 {
				return c.errf(p, "want a positive size, got %v", v)
			}
		}
		if c.has("limit.max") && c.has("limit.high") && l.High > l.Max {
			return c.errf("limit.high", "want high <= max (%v), got %v", l.Max, l.High)
		}
	}
	if r := s.Rlimits; r != nil {
		if !c.has("rlimits.address_space") && !c.has("rlimits.data") {
			return c.errf("rlimits", "want address_space and/or data")
		}
		if c.has("rlimits.address_space") && r.AddressSpace <= 0 {
			return c.errf("rlimits.address_space", "want a positive size, got %v", r.AddressSpace)
		}
		if c.has("rlimits.data") && r.Data <= 0 {
			return c.errf("rlimits.data", "want a positive size, got %v", r.Data)
		}
	}
	return nil
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
