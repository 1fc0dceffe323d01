package bench

import (
	"os"
	"runtime"
	"testing"

	"github.com/memstorm/memstorm/wire"
	"github.com/memstorm/memstorm/worker"
)

// Runs re-execute this test binary as the worker.
func init() {
	if wire.IsWorker() {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	if wire.IsWorker() {
		os.Exit(worker.Main())
	}
	os.Exit(m.Run())
}

// requireRoot skips (or, with MEMSTORM_CI=1, fails) tests that create cgroups.
func requireRoot(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root to create memory cgroups"
	} else if _, err := newLimiter(); err != nil {
		why = err.Error()
	}
	if why == "" {
		return
	}
	if os.Getenv("MEMSTORM_CI") == "1" {
		t.Fatalf("%s, and MEMSTORM_CI=1 demands it", why)
	}
	t.Skip(why)
}
