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
	if !c.has("thp") {
		s.THP = THPHost
	} else if !THPValues.Has(s.THP) {
		return c.enum("thp", string(s.THP), "thp "+THPValues.Want())
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
