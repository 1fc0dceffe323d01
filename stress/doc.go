// Package stress is memstorm's scenario model and run engine.
//
// A scenario (scenario.go, decoded strictly by decode.go and validate.go,
// flattened into steps by steps.go) says how a worker allocates and frees.
// Run (supervisor.go) executes it:
//
//   - the supervisor, this process, creates the run's memory cgroup
//     (group.go), starts the worker (the same binary re-executed, see
//     wire.IsWorker and WorkerMain), puts it in the cgroup before it allocates,
//     and samples it (sampler.go) until it exits;
//   - the worker (worker.go) runs the steps on its threads through the
//     allocation engine of package alloc, publishing its live counters in a
//     shared status page (statuspage.go) and its phase boundaries and
//     failures as messages (protocol.go);
//   - the outcome (outcome.go) is decided from the worker's wait status and
//     the cgroup's own OOM counter, the expectations (expect.go) are checked,
//     and package report writes the run directory.
//
// Check refuses, before anything is created, a run that is bound to fail or
// could endanger the host.
package stress
