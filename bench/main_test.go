package bench

import (
	"runtime"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
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
	testenv.RunWithWorkers(m, wire.IsWorker, worker.Main, wire.WorkerExeEnv)
}

// requireRoot skips (or, with MEMSTORM_CI=1, fails) tests that create cgroups.
func requireRoot(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	if _, err := newLimiter(); err != nil {
		testenv.Missing(t, "%v", err)
	}
}
