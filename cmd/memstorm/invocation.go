package main

import (
	"runtime/debug"
	"strings"

	"github.com/memstorm/memstorm/rundir"
)

// buildVersion is memstorm's version as the Go toolchain recorded it in the
// binary: the module version ("(devel)" for a build from a checkout) and
// the VCS revision, marked "+dirty" when the tree had changes.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev + dirty
	}
	return v
}

// invocation records how a run was asked for: the command line, --scale
// and the flags that change what the scenario says.
func invocation(args []string, f *runFlags) rundir.Invocation {
	inv := rundir.Invocation{Version: buildVersion(), Command: append([]string{"memstorm", "run"}, args...), Scale: f.scale}
	for name, v := range map[string]string{"limit": f.limit, "high": f.high, "swap": f.swap, "allocator": f.allocator, "cgroup": f.cgroup, "timeout": durationFlag(f)} {
		if v != "" && !(name == "cgroup" && v == "auto") {
			if inv.Flags == nil {
				inv.Flags = map[string]string{}
			}
			inv.Flags[name] = v
		}
	}
	if f.oomGroup {
		inv.Flags = setFlag(inv.Flags, "oom-group", "true")
	}
	if f.riskHostOOM {
		inv.Flags = setFlag(inv.Flags, "risk-host-oom", "true")
	}
	return inv
}

func durationFlag(f *runFlags) string {
	if f.timeout == 0 {
		return ""
	}
	return f.timeout.String()
}

func setFlag(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[strings.TrimSpace(k)] = v
	return m
}
