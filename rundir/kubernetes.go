package rundir

import (
	"fmt"

	"github.com/memstorm/memstorm/units"
)

// EventGroupKill is the event a run writes at its start when an OOM kill
// at the limit would kill memstorm's whole cgroup, memstorm included
// (memory.oom.group=1, as the kubelet sets it): its Detail names the
// cgroup. A run directory that has it and no summary.json was cut off by
// that kill (memstorm fleet: killed with the container).
const EventGroupKill = "group-kill-armed"

// Kubernetes reasons of a terminated container, as kubectl shows them
// (containerd's CRI: OOMKilled when an OOM kill was seen in the
// container's cgroup, whatever the exit code; else Completed for exit 0,
// Error for any other).
const (
	ReasonOOMKilled = "OOMKilled"
	ReasonCompleted = "Completed"
	ReasonError     = "Error"
)

// ExitKilled is the exit code Kubernetes reports for a container whose
// processes were killed by SIGKILL, as an OOM group kill does: 128 + 9.
const ExitKilled = 137

// Kubernetes is how Kubernetes shows the container memstorm ran in, next
// to memstorm's own outcome: written where memstorm's cgroup, or one above
// it up to the limit, has memory.oom.group=1 (the kubelet's setting on
// cgroup v2 since 1.28), or where $KUBERNETES_SERVICE_HOST says it runs
// in a pod.
type Kubernetes struct {
	// GroupKillCgroup is the cgroup an OOM kill at the container's limit
	// kills whole (memory.oom.group=1); "" when none does.
	GroupKillCgroup string `json:"group_kill_cgroup,omitempty"`
	// ContainerLimit is the limit memstorm's cgroup inherits (the
	// container's memory limit).
	ContainerLimit units.Limit `json:"container_limit"`
	// MarginBytes is how far below ContainerLimit the run's child cgroup
	// was limited so that it is OOM-killed before the container (0 when
	// the run's limit was lower anyway, or it ran in the container's
	// cgroup).
	MarginBytes int64 `json:"margin_bytes,omitempty"`
	// ContainerOOMKills is how many OOM kills the container's cgroup
	// counted during the run (memory.events oom_kill, hierarchical, which
	// the container runtime watches); Absent when it could not be read.
	ContainerOOMKills int64 `json:"container_oom_kills"`
	// ExitCode is the container's exit code as Kubernetes shows it: the
	// code memstorm exits with for this run (0, 1, 3), or ExitKilled for a
	// run cut off by the group kill.
	ExitCode int `json:"exit_code"`
	// Reason is the container's termination reason: ReasonOOMKilled,
	// ReasonCompleted or ReasonError.
	Reason string `json:"reason"`
}

// ContainerReason is the reason Kubernetes gives a container that exited
// with code after oomKills OOM kills in its cgroup.
func ContainerReason(code int, oomKills int64) string {
	switch {
	case oomKills > 0:
		return ReasonOOMKilled
	case code == 0:
		return ReasonCompleted
	}
	return ReasonError
}

// KilledWithContainerReason is what reports say of a run that
// KilledWithContainer finds.
const KilledWithContainerReason = "killed with its container: the OOM kill at the container's limit took its whole cgroup (memory.oom.group=1), memstorm included; Kubernetes shows exit 137, reason OOMKilled"

// KilledWithContainer reports whether the Incomplete run r was cut off
// while armed for its container's OOM group kill: it wrote EventGroupKill
// at its start and no summary.json. The record alone cannot tell that kill
// from any other SIGKILL of the container (a pod deleted past its grace
// period); the last sample, written at most 20 ms before the end, says how
// near the limit the run was.
func KilledWithContainer(r *Run) bool {
	_, armed := GroupKillLimit(r.Events)
	return r.Incomplete && armed
}

// GroupKillLimit is the container's limit in bytes that a run's
// EventGroupKill records; false when it wrote none.
func GroupKillLimit(events []Event) (int64, bool) {
	for _, e := range events {
		if e.Kind == EventGroupKill && e.Bytes != nil && *e.Bytes > 0 {
			return *e.Bytes, true
		}
	}
	return 0, false
}

// Line says in words how Kubernetes shows the container, beside
// memstorm's own outcome, for the terminal and the report.
func (k *Kubernetes) Line() string {
	s := fmt.Sprintf("Kubernetes shows the container: exit %d, reason %s", k.ExitCode, k.Reason)
	if k.ContainerOOMKills > 0 {
		s += fmt.Sprintf(" (its cgroup counted %d OOM kill(s), which the container runtime reports whatever the exit code)", k.ContainerOOMKills)
	}
	if k.MarginBytes > 0 {
		s += fmt.Sprintf("; memory.oom.group=1 on %s: the run's child cgroup was kept %s below the container's limit of %v, so the kill took the worker and not memstorm", k.GroupKillCgroup, units.FormatBytes(k.MarginBytes), k.ContainerLimit)
	}
	return s
}
