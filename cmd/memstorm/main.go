// Command memstorm runs allocation stress scenarios in a contained worker
// process, records memory curves and writes plotted reports.
//
// See README.md and docs/ for the scenario format and the commands.
package main

import (
	"os"
	"runtime"

	_ "github.com/memstorm/memstorm/internal/pid1" // an init when memstorm is PID 1
	"github.com/memstorm/memstorm/wire"
	"github.com/memstorm/memstorm/worker"
)

func init() {
	if wire.IsWorker() {
		// Keep the main goroutine on the process's main thread: the worker's
		// first allocation thread runs there and uses glibc's main arena.
		runtime.LockOSThread()
	}
}

func main() {
	if wire.IsWorker() {
		os.Exit(worker.Main())
	}
	term = startTermination(os.Stderr, os.Exit)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
