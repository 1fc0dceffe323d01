package stress

import (
	"sort"
	"strings"

	"github.com/memstorm/memstorm/wire"
)

// workerEnviron builds the worker's environment: memstorm's own, minus any
// LD_PRELOAD (a run's allocator is the one it asks for), plus the
// scenario's env and the worker marker.
func workerEnviron(base []string, extra map[string]string, preload string) []string {
	env := make([]string, 0, len(base)+len(extra)+2)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k == "LD_PRELOAD" || k == wire.WorkerEnv || k == "GODEBUG" {
			continue
		}
		if _, over := extra[k]; over {
			continue
		}
		env = append(env, kv)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	if preload != "" {
		env = append(env, "LD_PRELOAD="+preload)
	}
	// The worker's own Go heap stays small and out of the way: no
	// background scavenger surprises in the measured RSS.
	env = append(env, wire.WorkerEnv+"=1", "GODEBUG=madvdontneed=1")
	return env
}
