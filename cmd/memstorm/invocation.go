package main

import (
	"runtime/debug"
	"strings"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/stress"
)

// buildVersion is memstorm's version as `memstorm version` prints it, on
// one line, for summary.json.
func buildVersion() string {
	bi, _ := debug.ReadBuildInfo()
	lines := strings.Split(strings.TrimSpace(versionText(bi)), "\n")
	return strings.Join(lines, "; ")
}

// invocation records how a run was asked for: the command line, --scale
// and the flags that change what the scenario says.
func invocation(args []string, f *runFlags) rundir.Invocation {
	inv := rundir.Invocation{Version: buildVersion(), Command: append([]string{"memstorm", "run"}, args...), Scale: f.scale}
	set := map[string]string{"limit": f.limit, "high": f.high, "swap": f.swap, "allocator": f.allocator}
	if f.cgroup != stress.CgroupAuto {
		set["cgroup"] = f.cgroup
	}
	if f.timeout != 0 {
		set["timeout"] = f.timeout.String()
	}
	if f.oomGroup {
		set["oom-group"] = "true"
	}
	if f.riskHostOOM {
		set["risk-host-oom"] = "true"
	}
	for k, v := range set {
		if v != "" {
			if inv.Flags == nil {
				inv.Flags = map[string]string{}
			}
			inv.Flags[k] = v
		}
	}
	return inv
}
