package scenarios

import "slices"

// sreChecks are the built-ins that check what an SRE asks of a memory
// limit on every node (issue 13): holding near the limit asleep, a leak's
// time to the kill, bursts against the limit, a whole-container kill.
// `memstorm list` groups them.
var sreChecks = []string{"burst-to-90", "hold-asleep", "oom-group-kill", "slow-leak",
	"page-cache-reclaim", "tmpfs-to-oom", "memfd-to-oom", "shm-to-oom", "high-throttle", "swap-spill"}

// IsSRECheck reports whether the built-in name is one of the checks an
// SRE runs across a fleet (memstorm run --bundle, memstorm fleet).
func IsSRECheck(name string) bool { return slices.Contains(sreChecks, name) }
