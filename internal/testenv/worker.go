package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// UninstrumentedWorker, in a test binary built with -race, builds memstorm
// without the race detector and makes it the worker of every run the
// tests start (wire.WorkerExeEnv): the race detector's shadow memory and
// its own allocations would otherwise be measured as the scenario's. The
// supervisor side, the code under test for races, stays instrumented. It
// returns a function that removes the build; without -race it does nothing.
func UninstrumentedWorker(workerExeEnv string) (cleanup func(), err error) {
	if !Race {
		return func() {}, nil
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("finding the module for the worker build: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	dir, err := os.MkdirTemp("", "memstorm-worker-")
	if err != nil {
		return nil, err
	}
	exe := filepath.Join(dir, "memstorm")
	cmd := exec.Command("go", "build", "-o", exe, "./cmd/memstorm")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("building the uninstrumented worker: %w\n%s", err, b)
	}
	os.Setenv(workerExeEnv, exe)
	return func() { os.RemoveAll(dir) }, nil
}

// RunWithWorkers is the TestMain of a package whose tests start real runs:
// the supervisor re-executes the test binary as the worker, and a process
// started so (isWorker) hands over to workerMain; otherwise the tests run,
// under -race with an uninstrumented worker build (UninstrumentedWorker).
// It does not return.
func RunWithWorkers(m *testing.M, isWorker func() bool, workerMain func() int, workerExeEnv string) {
	if isWorker() {
		os.Exit(workerMain())
	}
	cleanup, err := UninstrumentedWorker(workerExeEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}
