// Package stress is the supervisor side of a run: it turns a scenario and
// the command line's wishes into a checked Plan, and runs it.
//
// Prepare (plan.go) resolves, once, the allocator (alloc/allocators) and the
// limits (units.Limit) and refuses before anything is created a run that is
// bound to fail or could endanger the host. Plan.Run then:
//
//   - gives the run its memory cgroup (group.go) and its run directory
//     (package rundir);
//   - starts the worker processes (workers.go: this binary re-executed,
//     see package worker), each placed in the cgroup before it allocates;
//   - samples them from a C thread (sampler.go, package sample) and follows
//     their messages (watch.go, over package wire);
//   - decides the outcome from wait statuses and the cgroup's own OOM
//     counter (outcome.go), checks the scenario's expectations and writes
//     summary.json.
//
// Drawing the figures and the HTML report is package report's, called by
// the command line after a run.
package stress
