// Package testenv is the one place where memstorm's tests say what they
// need of the machine (root, a memory cgroup, an allocator library, a
// browser, a C compiler) and what happens when it is missing.
//
// The policy: a missing requirement skips the test on a developer's
// machine, and fails it where the environment is demanded, which CI says
// by setting MEMSTORM_CI=1 (.ci/run does). A test that needs something
// calls one Require function first and never decides on its own.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/memstorm/memstorm/alloc/allocators"
)

// CIEnv is the variable that turns every missing requirement into a
// failure.
const CIEnv = "MEMSTORM_CI"

// InCI reports whether the environment is demanded.
func InCI() bool { return os.Getenv(CIEnv) == "1" }

// Missing ends a test whose requirement is missing: a skip, or under
// MEMSTORM_CI=1 a failure, with the reason either way.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s, and %s=1 demands it", why, CIEnv)
	}
	t.Skip(why)
}

// RequireRoot needs an effective uid of 0.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root to create memory cgroups")
	}
}

// RequireAllocator needs the named allocator's library on this machine and
// returns what a run under it preloads.
func RequireAllocator(t testing.TB, name string) allocators.Choice {
	t.Helper()
	c, err := allocators.Resolve(name)
	if err != nil {
		Missing(t, "%v", err)
	}
	return c
}

// RequireCommand needs a program on PATH (or at a path) and returns its path.
func RequireCommand(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "no %s (%s): %v", name, hint, err)
	}
	return p
}

// SkipUnderRace skips a test that measures memstorm's own time or memory:
// the race detector multiplies both, so such bounds are checked in the
// uninstrumented pass of make test, and this pass checks only for races.
func SkipUnderRace(t testing.TB) {
	t.Helper()
	if Race {
		t.Skip("measures time and memory: checked without the race detector")
	}
}
