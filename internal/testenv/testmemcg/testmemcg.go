// Package testmemcg holds the test requirements on the host's memory
// cgroup controller, with testenv's policy (skip, or fail under
// MEMSTORM_CI=1). It is apart from testenv because it detects the
// controller with package cgroup, whose own tests use testenv.
package testmemcg

import (
	"testing"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/internal/testenv"
)

// Require needs a memory cgroup controller this process can find (its
// own cgroup is the returned host's), whatever the cgroup version.
func Require(t testing.TB) *cgroup.Host {
	t.Helper()
	host, err := cgroup.Detect(cgroup.DefaultRoots())
	if err != nil {
		testenv.Missing(t, "no memory cgroup controller: %v", err)
	}
	return host
}

// RequireChildren needs root and a memory cgroup controller under which a
// child can actually be created: it creates one and removes it again
// (cgroup.Host.CheckChild), since files that exist do not show it (on v2 a
// cgroup that holds processes, and cannot move them, refuses children the
// memory controller with EBUSY).
func RequireChildren(t testing.TB) *cgroup.Host {
	t.Helper()
	testenv.RequireRoot(t)
	host := Require(t)
	if err := host.CheckChild(); err != nil {
		testenv.Missing(t, "cannot create a child memory cgroup under %s: %v", host.Dir(), err)
	}
	return host
}

// RequireV1 needs the memory controller on a cgroup v1 hierarchy.
func RequireV1(t testing.TB) *cgroup.Host {
	t.Helper()
	host := Require(t)
	if host.Version() != 1 {
		testenv.Missing(t, "needs the memory controller on cgroup v1; this host's is on v%d", host.Version())
	}
	return host
}
