// Package worker is the worker side of a run: the process that allocates.
//
// The supervisor re-executes memstorm's own binary with the variable
// wire.WorkerEnv set; main hands over to Main, which reads its wire.Spec,
// waits until the supervisor has placed it in the run's cgroup, and runs
// the scenario's steps on its threads (worker.go, threads.go, handoff.go)
// through the allocation engine of package alloc (fill.go, convert.go). It
// publishes its counters in the shared status page and its phase
// boundaries as messages (package wire).
package worker
