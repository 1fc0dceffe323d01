package scenarios

import (
	"fmt"
	"math"
	"os"
)

// Step is one leaf phase in run order, with repeat groups unrolled.
type Step struct {
	Index int    // 0-based position in the run
	Name  string // the phase name; "name#k" (k from 1) when the phase runs more than once
	Phase *Phase // the leaf phase, never a group; shared by all its repetitions
	// Turn is 0 when every thread runs the step; k > 0 when only thread
	// k-1 runs it (a step of a turns group).
	Turn int
	// SizeScale multiplies the object sizes of an allocate step: the
	// product of size_growth^r over the groups around it, r counting each
	// group's repetitions from 0 (1 without size_growth).
	SizeScale float64
}

// Steps flattens the scenario's phases into the order the worker runs them:
// a group with repeat: 3 contributes its phases three times. A phase that
// runs more than once gets "#k" appended to its name, k counting its runs
// from 1 ("grow#1", "grow#2", ...); since Parse keeps phase names unique in
// the whole file, step names are unique too.
func (s *Scenario) Steps() []Step {
	runs := map[*Phase]int{}
	var count func(ps []Phase, times int)
	count = func(ps []Phase, times int) {
		for i := range ps {
			if ps[i].Phases != nil {
				count(ps[i].Phases, times*max(ps[i].Repeat, 1)*s.turns(&ps[i]))
				continue
			}
			runs[&ps[i]] += times
		}
	}
	count(s.Phases, 1)

	var out []Step
	seen := map[*Phase]int{}
	var walk func(ps []Phase, turn int, scale float64)
	walk = func(ps []Phase, turn int, scale float64) {
		for i := range ps {
			ph := &ps[i]
			if ph.Phases != nil {
				for r := range max(ph.Repeat, 1) {
					sc := scale * repeatScale(ph, r)
					if !ph.Turns {
						walk(ph.Phases, turn, sc)
						continue
					}
					for k := range s.turns(ph) {
						walk(ph.Phases, k+1, sc)
					}
				}
				continue
			}
			seen[ph]++
			name := ph.Name
			if runs[ph] > 1 {
				name = fmt.Sprintf("%s#%d", ph.Name, seen[ph])
			}
			out = append(out, Step{Index: len(out), Name: name, Phase: ph, Turn: turn, SizeScale: scale})
		}
	}
	walk(s.Phases, 0, 1)
	return out
}

// StepCount is len(s.Steps()) without building the list (a valid scenario
// may have MaxSteps of them).
func (s *Scenario) StepCount() int { return int(countTurnSteps(s.Phases, s.Workers)) }

// turns is how many times a group runs per repeat: once, or once per
// thread for a turns group.
func (s *Scenario) turns(g *Phase) int {
	if g.Turns {
		return max(s.Workers, 1)
	}
	return 1
}

// countSteps is len(Steps()) without building the list, saturating at
// math.MaxInt64 so that validation can refuse absurd repeats.
func countSteps(ps []Phase) int64 {
	var n int64
	for i := range ps {
		if ps[i].Phases != nil {
			n = satAdd(n, satMul(int64(max(ps[i].Repeat, 1)), countSteps(ps[i].Phases)))
			continue
		}
		n = satAdd(n, 1)
	}
	return n
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// distRange returns the smallest and largest object a distribution draws.
func distRange(d SizeDist) (lo, hi int64) {
	switch d.Dist {
	case DistFixed:
		return int64(d.Value), int64(d.Value)
	case DistHistogram:
		lo = math.MaxInt64
		for _, b := range d.Buckets {
			lo, hi = min(lo, int64(b.Size)), max(hi, int64(b.Size))
		}
		return lo, hi
	}
	return int64(d.Min), int64(d.Max) // uniform, and the clamps of lognormal and pareto
}

// allocBound is an upper bound of the bytes one allocate step adds, or false
// when only time, the limit, ENOMEM or the OOM killer stop it. Workers stop
// together once the byte target is met, so each may overshoot by one object;
// mmap objects occupy whole pages.
func allocBound(a *Allocate, workers int) (int64, bool) {
	u := a.Until
	if u.Bytes <= 0 && u.Count <= 0 {
		return 0, false
	}
	lo, hi := distRange(a.Size)
	if lo < 1 {
		lo = 1
	}
	page := int64(os.Getpagesize())
	bound := int64(math.MaxInt64)
	if u.Count > 0 {
		obj := hi
		if a.Via == ViaMmap {
			obj = satAdd(hi, page-1) / page * page
		}
		bound = satMul(u.Count, obj)
	}
	if u.Bytes > 0 {
		req := satAdd(int64(u.Bytes), satMul(int64(workers), hi))
		if a.Via == ViaMmap {
			objects := satAdd(req/lo, 1)
			req = satAdd(req, satMul(objects, page-1))
		}
		bound = min(bound, req)
	}
	return bound, true
}

// Bounded returns an upper bound of the live bytes the scenario's objects
// can reach, following the steps in order: allocate steps add their bound,
// a free: all step drops live bytes to zero, other frees are assumed to free
// nothing. ok is false when some allocate step has neither a bytes nor a
// count target (it runs until a duration, a share of the limit, ENOMEM or
// the OOM killer). The bound is of requested bytes (mmap objects rounded up
// to pages; a replay adds its trace's peak and leaves what the recorded
// program held at exit); allocator overhead is not included, so callers keep headroom,
// e.g. refusing a bound above 80% of MemAvailable when no limit is set.
func (s *Scenario) Bounded() (maxBytes int64, ok bool) {
	var live int64
	for _, st := range s.Steps() {
		ph := st.Phase
		switch {
		case ph.Allocate != nil:
			b, ok := allocBound(scaledAllocate(ph.Allocate, st.SizeScale), max(s.Workers, 1))
			if !ok {
				return 0, false
			}
			live = satAdd(live, b)
			maxBytes = max(maxBytes, live)
		case ph.Free != nil && ph.Free.Pattern == PatternAll:
			live = 0
		case ph.Replay != nil:
			maxBytes = max(maxBytes, satAdd(live, ph.Replay.PeakLive))
			live = satAdd(live, ph.Replay.EndLive)
		}
	}
	return maxBytes, true
}

// NeedsLimit reports whether the scenario must run under a memory limit:
// it allocates until the OOM killer or a share of the limit, or it has a fill
// without a bytes or count target and no rlimit (address_space or data) to
// turn exhaustion into ENOMEM.
func (s *Scenario) NeedsLimit() bool {
	path, _ := s.limitNeed()
	return path != ""
}

// limitNeed finds the first allocate step that needs a memory limit (see
// NeedsLimit): the key path of its until, and why it needs one. path is
// "" when none does.
func (s *Scenario) limitNeed() (path, why string) {
	rlimited := s.Rlimits != nil && (s.Rlimits.AddressSpace > 0 || s.Rlimits.Data > 0)
	var walk func(ps []Phase, path string) (string, string)
	walk = func(ps []Phase, path string) (string, string) {
		for i := range ps {
			p := fmt.Sprintf("%s[%d]", path, i)
			if ps[i].Phases != nil {
				if up, why := walk(ps[i].Phases, p+".phases"); up != "" {
					return up, why
				}
			}
			a := ps[i].Allocate
			if a == nil {
				continue
			}
			u, up := a.Until, p+".allocate.until"
			switch {
			case u.OOM:
				return up, "it allocates until an OOM kill"
			case u.Limit > 0:
				return up, "it allocates until a share of the limit"
			case u.Bytes <= 0 && u.Count <= 0 && !rlimited:
				return up, "it allocates without a bytes or count target (and no rlimits turn exhaustion into ENOMEM)"
			}
		}
		return "", ""
	}
	return walk(s.Phases, "phases")
}

// HasPhase reports whether a phase (or group) of the scenario is named
// name, as --align names one: walking the phases, not their repetitions,
// so that a scenario of a million steps costs no more than its file.
func (s *Scenario) HasPhase(name string) bool {
	var walk func(ps []Phase) bool
	walk = func(ps []Phase) bool {
		for i := range ps {
			if ps[i].Name == name || walk(ps[i].Phases) {
				return true
			}
		}
		return false
	}
	return walk(s.Phases)
}
