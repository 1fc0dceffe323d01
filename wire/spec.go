package wire

import (
	"os"

	"github.com/memstorm/memstorm/scenarios"
)

// WorkerEnv is the environment variable that turns a re-executed memstorm
// binary (or test binary) into a worker.
const WorkerEnv = "MEMSTORM_WORKER"

// WorkerExeEnv names a memstorm binary to start as the worker instead of
// the running one: a build without the race detector under `go test -race`,
// whose instrumentation would otherwise be measured with the scenario.
const WorkerExeEnv = "MEMSTORM_WORKER_EXE"

// IsWorker reports whether this process was started as a memstorm worker.
// main (and TestMain of packages whose tests start runs) calls it first and,
// when true, hands over to worker.Main.
func IsWorker() bool { return os.Getenv(WorkerEnv) == "1" }

// Spec is what the supervisor sends the worker on its standard input.
type Spec struct {
	Scenario   *scenarios.Scenario `json:"scenario"`
	LimitBytes int64               `json:"limit_bytes"` // the run's hard limit; 0 when it has none
	HasUsage   bool                `json:"has_usage"`   // FDUsage is open on the cgroup's usage file
	Proc       int                 `json:"proc"`        // this worker's index among the run's processes
	Procs      int                 `json:"procs"`       // the run's worker processes (scenario processes:)
	// FileDir and TmpfsDir are where via: file and via: tmpfs make their
	// files; empty: /tmp and /dev/shm.
	FileDir  string `json:"file_dir,omitempty"`
	TmpfsDir string `json:"tmpfs_dir,omitempty"`
}
