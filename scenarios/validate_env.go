package scenarios

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// The env block adds variables to the worker's environment: allocator
// tunables (MALLOC_ARENA_MAX, MALLOC_CONF, GLIBC_TUNABLES) and the like. It
// may not choose what the worker loads or how memstorm runs it:
//
//   - LD_* are the dynamic loader's (LD_PRELOAD, LD_LIBRARY_PATH,
//     LD_AUDIT, ...): the allocator is chosen by --allocator or allocators:,
//     and a scenario file does not inject a library;
//   - MEMSTORM_* are memstorm's own (MEMSTORM_WORKER marks the worker);
//   - GODEBUG is set by memstorm for the worker (madvdontneed=1), and a
//     second value would either be ignored or replace it.

// envNameRE is a portable environment variable name (POSIX: letters,
// digits and '_', not starting with a digit).
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Bounds on the env block: execve refuses a variable longer than 128 KiB.
const (
	maxEnvVars     = 64
	maxEnvValueLen = 32 << 10
)

// env checks the env block.
func (c *checker) env(env map[string]string) error {
	if len(env) > maxEnvVars {
		return c.errf("env", "want at most %d variables, got %d", maxEnvVars, len(env))
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v, p := env[k], childPath("env", k)
		switch {
		case !envNameRE.MatchString(k) || len(k) > MaxNameLen:
			return c.errKey(p, "want a variable name of at most %d letters, digits and '_', not starting with a digit, got %q", MaxNameLen, k)
		case strings.HasPrefix(k, "LD_"):
			return c.errKey(p, "%s is the dynamic loader's: a scenario does not set it (choose the allocator with allocators: or --allocator)", k)
		case strings.HasPrefix(k, "MEMSTORM_"):
			return c.errKey(p, "%s is memstorm's own: a scenario does not set it", k)
		case k == "GODEBUG":
			return c.errKey(p, "GODEBUG is set by memstorm for the worker: a scenario does not set it")
		case strings.ContainsRune(v, 0):
			return c.errf(p, "want a value without NUL characters")
		case len(v) > maxEnvValueLen:
			return c.errf(p, "want a value of at most %d bytes, got %d", maxEnvValueLen, len(v))
		}
	}
	return nil
}
