package stress

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
)

// Options say how to run a scenario: what the command line asked for on
// top of the scenario file.
type Options struct {
	// Dir is the run directory. It is created; it must not exist already,
	// or be empty.
	Dir string
	// Allocator is glibc (the default), jemalloc, tcmalloc, mimalloc or the
	// path of a malloc library to LD_PRELOAD into the worker.
	Allocator string
	// Limit overrides the scenario's limit block field by field (the
	// command line's --limit, --high, --swap, --oom-group).
	Limit *scenarios.Limit
	// Cgroup is "auto" (default: a child cgroup, else memstorm's own when a
	// child cannot be created), "child", "current" or "none".
	Cgroup string
	// Progress, when set, is called a few times a second while the run goes.
	Progress func(Progress)
	// Executable is the binary re-executed as the worker; default: this one.
	Executable string
	// Timeout ends the run, as an interruption, when it has gone on this
	// long (--timeout); 0 for none.
	Timeout time.Duration
	// RiskHostOOM accepts a limit above what the host has free: the host's
	// own OOM killer may then act before the run's (--risk-host-oom).
	RiskHostOOM bool
	// Invocation is how the run was asked for, recorded in summary.json.
	Invocation rundir.Invocation
	// Roots are where the kernel's files are read (/proc, and the root of
	// /sys and the cgroup mounts); zero: the live system.
	Roots cgroup.Roots
	// WorkerCPUs, when set, pins every thread of every worker to these
	// CPUs before it starts its steps (memstorm bench runs both sides of a
	// comparison on one CPU).
	WorkerCPUs []int
}

// orLive is roots, or the live system's when roots is the zero value.
func orLive(roots cgroup.Roots) cgroup.Roots {
	if roots.Proc == "" {
		return cgroup.DefaultRoots()
	}
	return roots
}

// Limits are a run's memory cgroup settings, resolved once from the
// scenario's limit block and the command line's overrides.
type Limits struct {
	Max, High, Swap units.Limit
	OOMGroup        bool
	HugeTLB         map[int64]int64 // hugetlb limit in bytes by page size in bytes (scenario limit.hugetlb)
	// ScenarioMax: Max is the scenario file's own size (no --limit, no
	// inherit). In memstorm's own cgroup (a container's) such a limit of a
	// scenario that allocates until the limit gives way to the cgroup's
	// larger one (ownCgroupRefusal): the scenario is about the limit it
	// meets, not about its number.
	ScenarioMax bool
}

// resolveLimits lays the command line's settings over the scenario's. A
// hard limit of inherit (scenarios.Inherit) takes the limit of the memory
// cgroup memstorm runs in, or of the nearest above it
// (cgroup.Host.InheritedLimit); where there is none, or no memory cgroup,
// the run is refused as bad usage for this host.
func resolveLimits(file, flags *scenarios.Limit, roots cgroup.Roots) (Limits, error) {
	var l Limits
	for _, src := range []*scenarios.Limit{file, flags} {
		if src == nil {
			continue
		}
		l.Max = units.LimitOf(int64(src.Max)).Or(l.Max)
		if src.Max > 0 || src.Inherit {
			l.ScenarioMax = src == file && !src.Inherit
		}
		if src.Inherit {
			inherited, err := inheritLimit(roots)
			if err != nil {
				return Limits{}, err
			}
			l.Max = inherited
		}
		l.High = units.LimitOf(int64(src.High)).Or(l.High)
		l.Swap = units.LimitOf(int64(src.Swap)).Or(l.Swap)
		l.OOMGroup = l.OOMGroup || src.OOMGroup
		for k, v := range src.HugeTLB {
			if l.HugeTLB == nil {
				l.HugeTLB = map[int64]int64{}
			}
			l.HugeTLB[scenarios.Huge(k).PageBytes()] = int64(v)
		}
	}
	return l, nil
}

// inheritLimit reads the limit that --limit inherit takes.
func inheritLimit(roots cgroup.Roots) (units.Limit, error) {
	host, err := cgroup.Detect(roots)
	if err != nil {
		return units.Limit{}, usageErr("limit inherit: no memory cgroup to inherit a limit from (%v): give a size instead", err)
	}
	l, _, err := host.InheritedLimit()
	if err != nil {
		return units.Limit{}, fmt.Errorf("limit inherit: %w", err)
	}
	if !l.Bounded() {
		return units.Limit{}, usageErr("limit inherit: memstorm's memory cgroup %s and those above it have no limit: give a size (--limit SIZE), or run in a container with a memory limit (docker run --memory 512m)", host.Dir())
	}
	return l, nil
}

// Plan is a run that was checked and resolved: the scenario, where it is
// recorded, the allocator to preload, the limits to set and the cgroup
// mode. Run executes it.
type Plan struct {
	Scenario  *scenarios.Scenario
	Dir       string
	Allocator allocators.Choice
	Limits    Limits
	Cgroup    string
	Roots     cgroup.Roots

	riskHostOOM bool
	invocation  rundir.Invocation
	warn        func(string)
	timeout     time.Duration
	workerCPUs  []int

	progress   func(Progress)
	onStart    func()
	executable string
}

// Prepare checks a run before anything is created or allocated and
// resolves it into a Plan. It refuses, with an error that errors.Is
// reports as ErrUsage, a run that is bound to fail or that could endanger
// the host: an allocator that cannot be loaded, a run directory that
// exists and is not empty, a scenario that allocates until an OOM kill or
// a limit share without any limit, an unlimited scenario whose byte
// targets exceed 80% of MemAvailable, and a --cgroup child or current that
// this host cannot honour (checkCgroupMode).
func Prepare(sc *scenarios.Scenario, opt Options) (*Plan, error) {
	p := &Plan{Scenario: sc, Dir: opt.Dir, Cgroup: opt.Cgroup, Roots: orLive(opt.Roots),
		progress: opt.Progress, executable: opt.Executable, riskHostOOM: opt.RiskHostOOM, timeout: opt.Timeout, invocation: opt.Invocation,
		workerCPUs: opt.WorkerCPUs}
	if p.Cgroup == "" {
		p.Cgroup = CgroupAuto
	}
	if opt.Timeout < 0 {
		return nil, usageErr("--timeout %v: want a positive duration", opt.Timeout)
	}
	var err error
	if p.Allocator, err = allocators.Resolve(opt.Allocator); err != nil {
		return nil, usageErr("%v", err)
	}
	if p.Limits, err = resolveLimits(sc.Limit, opt.Limit, p.Roots); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := checkTHP(sc, p.Roots); err != nil {
		return nil, err
	}
	if err := p.checkCgroupMode(); err != nil {
		return nil, err
	}
	if err := p.checkPages(); err != nil {
		return nil, err
	}
	return p, nil
}

// availableShare is the share of MemAvailable an unlimited run may plan to use.
const availableShare = 0.8

func (p *Plan) check() error {
	sc, l := p.Scenario, p.Limits
	if p.Dir != "" {
		if ents, err := os.ReadDir(p.Dir); err == nil && len(ents) > 0 {
			return usageErr("run directory %s exists and is not empty", p.Dir)
		}
	}
	switch p.Cgroup {
	case CgroupAuto, CgroupChild, CgroupCurrent, CgroupNone:
	default:
		return usageErr("--cgroup %q: want auto, child, current or none", p.Cgroup)
	}
	if err := checkFileDirs(sc); err != nil {
		return err
	}
	if l.Swap.IsSet() && !l.Max.Bounded() {
		return usageErr("a swap allowance (%v) needs a hard limit to be beyond: add --limit or limit.max", l.Swap)
	}
	maxB, bounded := l.Max.Bytes()
	if high, ok := l.High.Bytes(); ok && bounded && high > maxB {
		return usageErr("high limit %v is above the hard limit %v", l.High, l.Max)
	}
	if l.OOMGroup {
		if host, err := cgroup.Detect(p.Roots); err == nil && host.Version() != 2 {
			return usageErr("oom_group (memory.oom.group) needs the memory controller on cgroup v2; this host's is on v%d", host.Version())
		}
	}
	if err := checkHugeTLBLimit(l, p.Cgroup, p.Roots); err != nil {
		return err
	}
	if p.Cgroup == CgroupNone {
		// No cgroup: nothing enforces a limit, whatever the scenario says.
		bounded = false
	}
	mi, err := p.Roots.ProcFS().Meminfo()
	if err != nil {
		return fmt.Errorf("reading MemAvailable to bound the run: %w", err)
	}
	if sw, ok := l.Swap.Bytes(); ok && sw > 0 && mi.SwapTotal == 0 {
		return usageErr("a swap allowance of %v, and this host has no swap (SwapTotal 0 in /proc/meminfo): nothing can be swapped, so the run would be the same without it; run it where swap is on, or without --swap and limit.swap", l.Swap)
	}
	need, needBounded := sc.Bounded()
	if r := sc.Rlimits; r != nil {
		// An rlimit bounds what the worker can map (until: enomem).
		for _, v := range []scenarios.Size{r.AddressSpace, r.Data} {
			if v > 0 && (!needBounded || int64(v) < need) {
				need, needBounded = int64(v), true
			}
		}
	}
	fits := needBounded && float64(need) <= availableShare*float64(mi.MemAvailable)
	switch {
	case bounded:
		// The run's limit must be one the host reaches before its own
		// OOM killer, when the run may allocate up to it.
		room := mi.MemAvailable + mi.SwapFree
		if maxB > room && !fits && !p.riskHostOOM {
			return usageErr("the limit %v is more than this host has free (MemAvailable %s + SwapFree %s): the host's own OOM killer would act before the run's; lower the limit, or pass --risk-host-oom to run anyway",
				l.Max, units.FormatBytes(mi.MemAvailable), units.FormatBytes(mi.SwapFree))
		}
		return nil
	case p.Cgroup == CgroupCurrent:
		return nil // memstorm's own cgroup's limit is checked when it is opened
	}
	unenforced := ""
	if p.Cgroup == CgroupNone && l.Max.Bounded() {
		unenforced = fmt.Sprintf(" (--cgroup none: the limit %v is not enforced)", l.Max)
	}
	if err := CheckNeedsLimit(sc, p.Limits, p.Cgroup); err != nil {
		return err
	}
	if !needBounded {
		return usageErr("scenario %s has no byte bound and no limit is set%s: add --limit SIZE", sc.Name, unenforced)
	}
	if !fits {
		return usageErr("scenario %s may hold up to %s, more than %.0f%% of MemAvailable (%s)%s: lower its targets or set --limit",
			sc.Name, units.FormatBytes(need), availableShare*100, units.FormatBytes(mi.MemAvailable), unenforced)
	}
	return nil
}

// SetWarn sets the function told, in one line, what a user must know
// before the run goes on: that it fell back from a child cgroup to
// memstorm's own, or runs without a memory cgroup.
func (p *Plan) SetWarn(f func(string)) { p.warn = f }

// SetOnStart sets the function called once the run directory exists,
// before the workers start (memstorm run --bundle lists the run in its
// provisional manifest then).
func (p *Plan) SetOnStart(f func()) { p.onStart = f }

// SetProgress sets the function called a few times a second while the run
// goes, with what a live status line shows.
func (p *Plan) SetProgress(f func(Progress)) { p.progress = f }

// CheckNeedsLimit refuses, from the scenario and the settings alone (no
// host file is read), a scenario that allocates until an OOM kill, until a
// share of the limit or without a bound, when no limit is set that a cgroup
// enforces: with --cgroup none nothing enforces one, with --cgroup current
// memstorm's own cgroup's limit is checked when the run opens it. The
// error points at the allocate step's until, at its line and column.
// Prepare applies it; memstorm validate applies it alone.
func CheckNeedsLimit(sc *scenarios.Scenario, l Limits, cgroupMode string) error {
	if cgroupMode == CgroupCurrent || (l.Max.Bounded() && cgroupMode != CgroupNone) {
		return nil
	}
	err := sc.LimitNeeded()
	if err == nil {
		return nil
	}
	var se *scenarios.ScenarioError
	if b, ok := l.Max.Bytes(); ok && errors.As(err, &se) {
		se.Msg += fmt.Sprintf(" (--cgroup none: the limit %v is not enforced)", scenarios.Size(b))
	}
	return usageWrapped{err}
}

// LimitsOf lays the command line's settings over a scenario's limit block,
// as a run does on the live host (inherit reads memstorm's cgroup).
func LimitsOf(sc *scenarios.Scenario, flags *scenarios.Limit) (Limits, error) {
	return resolveLimits(sc.Limit, flags, cgroup.DefaultRoots())
}
