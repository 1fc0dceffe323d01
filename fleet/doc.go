// Package fleet merges result bundles (package bundle) from any number of
// nodes into one fleet report: a verdict per node × scenario × allocator,
// the share of the limit the cgroup used and the time to the kill where
// the OOM killer acted, the worst node, and each scenario's curves of all
// nodes overlaid (fleet.html, fleet.md, fleet.json and the figures).
//
// A run's verdict is pass (its expectations held), fail (one did not),
// error (memstorm failed in it: outcome failed, or harness errors),
// killed-with-container (no summary.json after the run's group-kill-armed
// event: the OOM group kill of its container took memstorm too;
// rundir.KilledWithContainer) or incomplete (no summary.json for another
// reason). The worst node is the one with
// the most runs that did not pass; among equals, the one whose cgroup
// came nearest its limit, then the one killed soonest.
package fleet
