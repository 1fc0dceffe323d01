package scenarios

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"

	"github.com/memstorm/memstorm/alloc/allocators"
)

// Defaults filled by Parse where a scenario leaves a key out.
const (
	DefaultSampleEvery = Duration(20 * time.Millisecond)
	DefaultWorkers     = 1
	DefaultSeed        = 1
	DefaultVia         = ViaMalloc
	DefaultAlign       = Size(64) // posix_memalign only
	MaxWorkers         = 256
	MaxProcesses       = 16 // the sampling thread reads at most this many
	MinSampleEvery     = Duration(time.Millisecond)
	MaxSteps           = 1_000_000 // flattened steps, repeats included
	MaxNameLen         = 64        // scenario and phase names: they become directory names and report keys
	MaxCount           = 1 << 40   // until.count: a trillion objects is past any machine's memory
)

// nameRE is what scenario and phase names may look like: they become file
// names and report keys, and '#' is reserved for repeat counters.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// checkName checks a scenario or phase name at path.
func (c *checker) checkName(path, name string) error {
	if !nameRE.MatchString(name) {
		return c.errf(path, "want a name of letters, digits, '.', '_' and '-', got %q", name)
	}
	if len(name) > MaxNameLen {
		return c.errf(path, "want a name of at most %d characters, got %d", MaxNameLen, len(name))
	}
	return nil
}

// knownMallopt lists the mallopt(3) parameters a scenario may set, with the
// smallest value each accepts.
var knownMallopt = map[string]int64{
	"M_MMAP_THRESHOLD": 0,
	"M_TRIM_THRESHOLD": -1, // -1 disables trimming
	"M_ARENA_MAX":      1,
	"M_ARENA_TEST":     1,
	"M_TOP_PAD":        0,
	"M_MMAP_MAX":       0,
}

// maxMmapThreshold is glibc's HEAP_MAX/2 on 64-bit hosts; mallopt refuses more.
const maxMmapThreshold = 32 << 20

// maxWeight bounds a histogram weight, so that the sum of any number of
// them a file can hold stays finite.
const maxWeight = 1e12

// checker fills defaults into a decoded scenario and checks its values,
// pointing errors at the node recorded for each key path.
type checker struct {
	nodes map[string]ast.Node
	names map[string]string // phase name -> path of its first use
	count int               // phases seen, for default names
	prev  *Phase            // the sibling before the phase being checked, nil for the first
	turns bool              // inside a turns group
}

// has reports whether the file wrote the key at path.
func (c *checker) has(path string) bool {
	_, ok := c.nodes[path]
	return ok
}

// parentPath strips the last key or index from a path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// errf builds an error at path, or at its closest written ancestor when the
// key itself is missing.
func (c *checker) errf(path, format string, args ...any) *ScenarioError {
	for p := path; ; p = parentPath(p) {
		if n, ok := c.nodes[p]; ok {
			return errAt(n, path, format, args...)
		}
		if p == "" {
			return errAt(nil, path, format, args...)
		}
	}
}

// enum is the error for a value outside its list: "required" when the key
// is missing, else what was found.
func (c *checker) enum(path, value, want string) *ScenarioError {
	if !c.has(path) {
		return c.errf(path, "required: want %s", want)
	}
	return c.errf(path, "want %s, got %q", want, value)
}

// errKey builds an error at the key (not the value) of path.
func (c *checker) errKey(path, format string, args ...any) *ScenarioError {
	if n, ok := c.nodes[path+"<key>"]; ok {
		return errAt(n, path, format, args...)
	}
	return c.errf(path, format, args...)
}

// validate checks s and fills its defaults. name is the default scenario name.
func (c *checker) validate(s *Scenario, name string) error {
	c.names = map[string]string{}
	if !c.has("name") {
		s.Name = name
	}
	if err := c.checkName("name", s.Name); err != nil {
		return err
	}
	if i := strings.IndexFunc(s.Description, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s.Description[i:])
		return c.errf("description", "want text, got the control character %U (the description is printed on terminals)", r)
	}
	if !c.has("sample_every") {
		s.SampleEvery = DefaultSampleEvery
	} else if s.SampleEvery < MinSampleEvery {
		return c.errf("sample_every", "want at least %v, got %v", MinSampleEvery, s.SampleEvery)
	}
	if !c.has("workers") {
		s.Workers = DefaultWorkers
	} else if s.Workers < 1 || s.Workers > MaxWorkers {
		return c.errf("workers", "want 1 to %d workers, got %d", MaxWorkers, s.Workers)
	}
	if !c.has("processes") {
		s.Processes = 1
	} else if s.Processes < 1 || s.Processes > MaxProcesses {
		return c.errf("processes", "want 1 to %d worker processes, got %d", MaxProcesses, s.Processes)
	}
	if !c.has("seed") {
		s.Seed = DefaultSeed
	} else if s.Seed == 0 {
		return c.errf("seed", "want a seed of at least 1, got 0")
	}
	seen := map[string]bool{}
	for i, a := range s.Allocators {
		p := fmt.Sprintf("allocators[%d]", i)
		if _, ok := allocators.Lookup(a); !ok {
			return c.errf(p, "want one of %s, got %q (a library path is given with --allocator on the command line: a scenario file does not choose a library to preload)",
				strings.Join(allocators.Names(), ", "), a)
		}
		if seen[a] {
			return c.errf(p, "want distinct allocator names, got %q twice", a)
		}
		seen[a] = true
	}
	if err := c.env(s.Env); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(s.Mallopt)) {
		v, p := s.Mallopt[k], childPath("mallopt", k)
		lo, ok := knownMallopt[k]
		if !ok {
			return c.errKey(p, "unknown mallopt parameter %q, want one of M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_ARENA_MAX, M_ARENA_TEST, M_TOP_PAD, M_MMAP_MAX", k)
		}
		if k == "M_MMAP_THRESHOLD" && (v < lo || v > maxMmapThreshold) {
			return c.errf(p, "want %s from 0 to %d (32MiB, glibc's maximum), got %d", k, maxMmapThreshold, v)
		}
		if v < lo || v > math.MaxInt32 {
			return c.errf(p, "want %s from %d to %d (mallopt takes a C int), got %d", k, lo, math.MaxInt32, v)
		}
	}
	if err := c.limits(s); err != nil {
		return err
	}
	if !c.has("phases") || len(s.Phases) == 0 {
		return c.errf("phases", "want at least one phase")
	}
	if err := c.phases(s.Phases, "phases"); err != nil {
		return err
	}
	if err := c.growth(s.Phases, "phases", 1); err != nil {
		return err
	}
	if n := countTurnSteps(s.Phases, s.Workers); n > MaxSteps {
		return c.errf("phases", "the repeats come to %d steps, want at most %d", n, MaxSteps)
	}
	return c.expect(s.Expect)
}

// phases checks one level of phases and recurses into groups.
func (c *checker) phases(ps []Phase, path string) error {
	for i := range ps {
		c.prev = nil
		if i > 0 {
			c.prev = &ps[i-1]
		}
		if err := c.phase(&ps[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) phase(ph *Phase, p string) error {
	c.count++
	var actions []string
	for _, a := range append(phaseActions.Names(), "phases") {
		if c.has(childPath(p, a)) && !(a == "phases" && c.has(childPath(p, "repeat"))) {
			actions = append(actions, a)
		}
	}
	want := "want exactly one action: " + phaseActions.Want() + " with phases"
	switch len(actions) {
	case 0:
		return c.errf(p, "%s; got none", want)
	case 1:
	default:
		return c.errKey(childPath(p, actions[1]), "%s; got %s", want, strings.Join(actions, " and "))
	}
	if c.has(childPath(p, "turns")) && actions[0] != "repeat" && actions[0] != "phases" {
		return c.errKey(childPath(p, "turns"), "turns applies to a group (a phase with phases), not to %s", actions[0])
	}
	if !c.has(childPath(p, "name")) {
		ph.Name = fmt.Sprintf("%s-%d", actions[0], c.count)
	}
	np := childPath(p, "name")
	if err := c.checkName(np, ph.Name); err != nil {
		return err
	}
	if first, dup := c.names[ph.Name]; dup {
		msg := "duplicate phase name %q (first used at %s); phase names are unique in the whole file"
		if n, ok := c.nodes[first]; ok {
			return c.errf(np, msg, ph.Name, fmt.Sprintf("line %d", n.GetToken().Position.Line))
		}
		return c.errf(np, msg, ph.Name, first)
	}
	c.names[ph.Name] = np
	switch actions[0] {
	case "allocate":
		return c.allocate(ph.Allocate, childPath(p, "allocate"))
	case "free":
		fp := childPath(p, "free")
		if err := c.selection(&ph.Free.Selection, fp); err != nil {
			return err
		}
		return c.freeBy(ph.Free, c.prev, fp)
	case "madvise":
		mp := childPath(p, "madvise")
		if !AdviceValues.Has(ph.Madvise.Advice) {
			return c.enum(childPath(mp, "advice"), string(ph.Madvise.Advice), "advice "+AdviceValues.Want())
		}
		return c.selection(&ph.Madvise.Selection, mp)
	case "trim":
		if !ph.Trim {
			return c.errf(childPath(p, "trim"), "want true (leave the phase out for no trim)")
		}
	case "hold": // Duration's own grammar already refused non-positive holds
	case "restart_threads":
		if !ph.RestartThreads {
			return c.errf(childPath(p, "restart_threads"), "want true (leave the phase out for no restart)")
		}
	case "repeat", "phases":
		if !c.has(childPath(p, "phases")) {
			return c.errf(childPath(p, "repeat"), "repeat needs phases to repeat")
		}
		if !c.has(childPath(p, "repeat")) {
			ph.Repeat = 1
		} else if ph.Repeat < 1 {
			return c.errf(childPath(p, "repeat"), "want a repeat count of at least 1, got %d", ph.Repeat)
		}
		if len(ph.Phases) == 0 {
			return c.errf(childPath(p, "phases"), "want at least one phase")
		}
		if ph.Turns && c.turns {
			return c.errKey(childPath(p, "turns"), "turns groups do not nest: the outer group already runs one thread at a time")
		}
		outer := c.turns
		c.turns = c.turns || ph.Turns
		err := c.phases(ph.Phases, childPath(p, "phases"))
		c.turns = outer
		return err
	}
	return nil
}

// allocate checks an allocate step and fills its defaults.
func (c *checker) allocate(a *Allocate, p string) error {
	vp := childPath(p, "via")
	if !c.has(vp) {
		a.Via = DefaultVia
	}
	if !ViaValues.Has(a.Via) {
		return c.errf(vp, "want via %s, got %q", ViaValues.Want(), a.Via)
	}
	ap := childPath(p, "align")
	switch {
	case c.has(ap) && a.Via != ViaPosixMemalign:
		return c.errf(ap, "align applies only to via: posix_memalign, not %s", a.Via)
	case !c.has(ap) && a.Via == ViaPosixMemalign:
		a.Align = DefaultAlign
	case c.has(ap) && (a.Align < 8 || a.Align&(a.Align-1) != 0 || a.Align > 1<<30):
		return c.errf(ap, "want a power of two from 8 to 1GiB, got %v", a.Align)
	}
	if a.Touch == nil {
		t := true
		a.Touch = &t
	}
	sp := childPath(p, "size")
	if !c.has(sp) {
		return c.errf(sp, "required: want a size like 4KiB or a distribution")
	}
	if err := c.dist(&a.Size, sp); err != nil {
		return err
	}
	return c.until(&a.Until, childPath(p, "until"))
}

// distKeys lists, per distribution, the keys it reads (a test holds its
// distributions to DistValues).
var distKeys = map[Dist][]string{
	DistFixed:     {"value"},
	DistUniform:   {"min", "max"},
	DistLognormal: {"median", "sigma", "min", "max"},
	DistPareto:    {"min", "alpha", "max"},
	DistHistogram: {"buckets"},
}

// dist checks a size distribution.
func (c *checker) dist(d *SizeDist, p string) error {
	dp := childPath(p, "dist")
	if !DistValues.Has(d.Dist) {
		return c.enum(dp, string(d.Dist), "dist "+DistValues.Want()+" (or a plain size for a fixed one)")
	}
	keys := distKeys[d.Dist]
	for _, k := range []string{"value", "min", "max", "median", "sigma", "alpha", "buckets"} {
		kp := childPath(p, k)
		used := strings.Contains(" "+strings.Join(keys, " ")+" ", " "+k+" ")
		if c.has(kp) && !used {
			return c.errKey(kp, "%s is not used by dist %s (it reads %s)", k, d.Dist, strings.Join(keys, ", "))
		}
	}
	positive := func(k string, v Size) error {
		if !c.has(childPath(p, k)) && !(k == "min" && d.Dist == DistLognormal) {
			return c.errf(childPath(p, k), "required by dist %s", d.Dist)
		}
		if v <= 0 {
			return c.errf(childPath(p, k), "want a positive size, got %v", v)
		}
		return nil
	}
	positiveF := func(k string, v float64) error {
		if !c.has(childPath(p, k)) {
			return c.errf(childPath(p, k), "required by dist %s", d.Dist)
		}
		if !(v > 0) || math.IsInf(v, 0) {
			return c.errf(childPath(p, k), "want a positive number, got %v", v)
		}
		return nil
	}
	var err error
	switch d.Dist {
	case DistFixed:
		err = positive("value", d.Value)
	case DistUniform:
		err = firstErr(positive("min", d.Min), positive("max", d.Max))
	case DistLognormal:
		if !c.has(childPath(p, "min")) {
			d.Min = 1
		}
		err = firstErr(positive("median", d.Median), positiveF("sigma", d.Sigma),
			positive("min", d.Min), positive("max", d.Max))
		if err == nil && (d.Median < d.Min || d.Median > d.Max) {
			err = c.errf(childPath(p, "median"), "want min <= median <= max (%v..%v), got %v", d.Min, d.Max, d.Median)
		}
	case DistPareto:
		err = firstErr(positive("min", d.Min), positiveF("alpha", d.Alpha), positive("max", d.Max))
	case DistHistogram:
		if len(d.Buckets) == 0 {
			return c.errf(childPath(p, "buckets"), "want at least one bucket of size and weight")
		}
		for i, b := range d.Buckets {
			wp := fmt.Sprintf("buckets[%d].weight", i)
			if err := firstErr(positive(fmt.Sprintf("buckets[%d].size", i), b.Size), positiveF(wp, b.Weight)); err != nil {
				return err
			}
			if b.Weight > maxWeight {
				return c.errf(childPath(p, wp), "want a weight of at most %g (weights are relative), got %v", maxWeight, b.Weight)
			}
		}
	}
	if err != nil {
		return err
	}
	if (d.Dist == DistUniform || d.Dist == DistPareto) && d.Min > d.Max {
		return c.errf(childPath(p, "min"), "want min <= max (%v), got %v", d.Max, d.Min)
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// until checks an allocate step's stop condition.
func (c *checker) until(u *Until, p string) error {
	if !c.has(p) {
		return c.errf(p, "required: want %s", untilWant())
	}
	if c.has(childPath(p, "bytes")) && u.Bytes <= 0 {
		return c.errf(childPath(p, "bytes"), "want a positive size, got %v", u.Bytes)
	}
	if c.has(childPath(p, "count")) && (u.Count < 1 || u.Count > MaxCount) {
		return c.errf(childPath(p, "count"), "want a count from 1 to %d, got %d", int64(MaxCount), u.Count)
	}
	if c.has(childPath(p, "limit")) && (u.Limit <= 0 || u.Limit > 100) {
		return c.errf(childPath(p, "limit"), "want a share of the limit above 0%% and at most 100%%, got %v", u.Limit)
	}
	if u.Bytes == 0 && u.Count == 0 && u.Duration == 0 && u.Limit == 0 && !u.OOM && !u.ENOMEM {
		conds := untilKeys.Names()
		for i, k := range conds {
			if slices.Contains(untilShorthands, k) {
				conds[i] = k + ": true"
			}
		}
		return c.errf(p, "want at least one condition: %s", orList(conds))
	}
	return nil
}

// untilWant says what an until may be: "oom, enomem or a mapping of bytes,
// count, ...".
func untilWant() string {
	return orList(append(slices.Clone(untilShorthands), "a mapping of "+strings.Join(untilKeys.Names(), ", ")))
}

// patternKeys lists, per pattern, the keys besides pattern that it reads
// and which of them it requires (a test holds its patterns to
// PatternValues).
var patternKeys = map[Pattern]struct{ reads, needs string }{
	PatternAll:            {},
	PatternEveryOther:     {},
	PatternKeepOnePerPage: {},
	PatternEveryNth:       {"n", "n"},
	PatternRandom:         {"fraction seed", "fraction"},
	PatternOldest:         {"fraction", "fraction"},
	PatternNewest:         {"fraction", "fraction"},
	PatternLargerThan:     {"size", "size"},
	PatternSmallerThan:    {"size", "size"},
}

// selection checks a free or madvise selection.
func (c *checker) selection(s *Selection, p string) error {
	pp := childPath(p, "pattern")
	if !PatternValues.Has(s.Pattern) {
		return c.enum(pp, string(s.Pattern), "pattern "+PatternValues.Want())
	}
	keys := patternKeys[s.Pattern]
	for _, k := range []string{"n", "fraction", "seed", "size"} {
		kp := childPath(p, k)
		reads := strings.Contains(" "+keys.reads+" ", " "+k+" ")
		if c.has(kp) && !reads {
			return c.errKey(kp, "%s is not used by pattern %s", k, s.Pattern)
		}
		if !c.has(kp) && keys.needs == k {
			return c.errf(kp, "required by pattern %s", s.Pattern)
		}
	}
	switch {
	case c.has(childPath(p, "n")) && s.N < 2:
		return c.errf(childPath(p, "n"), "want n of at least 2 (n: 1 would select everything, use all), got %d", s.N)
	case c.has(childPath(p, "fraction")) && !(s.Fraction > 0 && s.Fraction <= 1):
		return c.errf(childPath(p, "fraction"), "want a fraction above 0 and at most 1, got %v", s.Fraction)
	case c.has(childPath(p, "seed")) && s.Seed == 0:
		return c.errf(childPath(p, "seed"), "want a seed of at least 1 (leave it out to derive one from the scenario seed), got 0")
	case c.has(childPath(p, "size")) && s.Size <= 0:
		return c.errf(childPath(p, "size"), "want a positive size, got %v", s.Size)
	}
	return nil
}
