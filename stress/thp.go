package stress

import (
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/machine"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
)

// thpMode is what transparent huge pages are for a run: the scenario's
// thp key, the host's mode, and what the worker gets of it (the worker can
// take huge pages away from itself, never add any).
func thpMode(want scenarios.THP, host string) rundir.THPMode {
	m := rundir.THPMode{Scenario: string(want), Host: host, Effective: host}
	switch {
	case host == "" || host == "never":
	case want == scenarios.THPNever:
		m.Effective = "never"
	case want == scenarios.THPMadvise:
		m.Effective = "madvise"
	}
	return m
}

// checkTHP refuses thp: madvise where the worker could not be given it:
// on a host in always mode, only PR_THP_DISABLE_EXCEPT_ADVISED (Linux
// 6.18) narrows a process to madvised memory.
func checkTHP(sc *scenarios.Scenario, roots cgroup.Roots) error {
	if sc.THP != scenarios.THPMadvise {
		return nil
	}
	m, err := machine.Describe(roots)
	if err != nil || m.THP != "always" || kernelAtLeast(m.Kernel, 6, 18) {
		return nil
	}
	return usageErr("scenario %s: thp: madvise on a host whose transparent huge pages are \"always\" needs Linux 6.18 (PR_THP_DISABLE_EXCEPT_ADVISED); this kernel is %s: use thp: never, or host", sc.Name, m.Kernel)
}

// kernelAtLeast reports whether a kernel release ("6.18.44-foo") is at
// least major.minor; false when it cannot be read.
func kernelAtLeast(release string, major, minor int) bool {
	f := strings.FieldsFunc(release, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		return false
	}
	a, err1 := strconv.Atoi(f[0])
	b, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return a > major || (a == major && b >= minor)
}
