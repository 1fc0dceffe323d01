package stress

import (
	"errors"
	"fmt"
	"os"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
)

// ErrUsage marks an error in what the user asked for (a bad scenario, flag
// or output directory), as opposed to a failure during a run. The CLI maps
// it to exit code 2.
var ErrUsage = errors.New("usage")

// usageError is a wire.Message that errors.Is reports as ErrUsage.
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// usageErr formats a usage error.
func usageErr(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// availableShare is the share of MemAvailable an unlimited run may plan to use.
const availableShare = 0.8

// Check refuses, before anything is created or allocated, a run that is
// bound to fail or that could endanger the host: an allocator that cannot be
// loaded, a run directory that exists and is not empty, a scenario that
// allocates until an OOM kill or a limit share without any limit, and an
// unlimited scenario whose byte targets exceed 80% of MemAvailable.
func Check(sc *scenarios.Scenario, opt Options) error {
	if _, err := preloadFor(opt.Allocator); err != nil {
		return usageErr("%v", err)
	}
	if opt.Dir != "" {
		if ents, err := os.ReadDir(opt.Dir); err == nil && len(ents) > 0 {
			return usageErr("run directory %s exists and is not empty", opt.Dir)
		}
	}
	switch opt.Cgroup {
	case "", CgroupAuto, CgroupChild, CgroupCurrent, CgroupNone:
	default:
		return usageErr("--cgroup %q: want auto, child, current or none", opt.Cgroup)
	}
	l := effectiveLimit(sc.Limit, opt.Limit)
	if l.High > 0 && l.Max > 0 && l.High > l.Max {
		return usageErr("high limit %v is above the hard limit %v", l.High, l.Max)
	}
	if l.OOMGroup {
		if host, err := cgroup.Detect(cgroup.DefaultRoots()); err == nil && host.Version() != 2 {
			return usageErr("oom_group (memory.oom.group) needs the memory controller on cgroup v2; this host's is on v%d", host.Version())
		}
	}
	limited := l.Max > 0 || opt.Cgroup == CgroupCurrent
	if r := sc.Rlimits; r != nil && (r.AddressSpace > 0 || r.Data > 0) {
		// An rlimit bounds what the worker can allocate (until: enomem).
		limited = true
	}
	if !limited && sc.NeedsLimit() {
		return usageErr("scenario %s allocates until an OOM kill, a share of the limit or without a byte bound, and no limit is set: add a limit: block, --limit SIZE, or --cgroup current inside a container", sc.Name)
	}
	if limited {
		return nil
	}
	need, ok := sc.Bounded()
	if !ok {
		return usageErr("scenario %s has no byte bound and no limit is set: add --limit SIZE", sc.Name)
	}
	mi, err := procfs.DefaultFS.Meminfo()
	if err != nil {
		return fmt.Errorf("reading MemAvailable to bound the run: %w", err)
	}
	if float64(need) > availableShare*float64(mi.MemAvailable) {
		return usageErr("scenario %s may hold up to %s, more than %.0f%% of MemAvailable (%s): lower its targets or set --limit",
			sc.Name, units.FormatBytes(need), availableShare*100, units.FormatBytes(mi.MemAvailable))
	}
	return nil
}
