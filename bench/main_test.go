package bench

import (
	"fmt"
	"os"
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
	if wire.IsWorker() {
		os.Exit(worker.Main())
	}
	cleanup, err := testenv.UninstrumentedWorker(wire.WorkerExeEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// requireRoot skips (or, with MEMSTORM_CI=1, fails) tests that create cgroups.
func requireRoot(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	if _, err := newLimiter(); err != nil {
		testenv.Missing(t, "%v", err)
	}
}
