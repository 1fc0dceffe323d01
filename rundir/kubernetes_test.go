package rundir

import (
	"strings"
	"testing"

	"github.com/memstorm/memstorm/units"
)

// TestContainerReason: an OOM kill in the container's cgroup is OOMKilled
// whatever the exit code, as containerd reports it; else the exit code
// decides.
func TestContainerReason(t *testing.T) {
	for _, tc := range []struct {
		code  int
		kills int64
		want  string
	}{
		{0, 1, ReasonOOMKilled}, {1, 2, ReasonOOMKilled}, {ExitKilled, 1, ReasonOOMKilled},
		{0, 0, ReasonCompleted}, {0, units.Absent, ReasonCompleted},
		{1, 0, ReasonError}, {3, units.Absent, ReasonError},
	} {
		if got := ContainerReason(tc.code, tc.kills); got != tc.want {
			t.Errorf("ContainerReason(%d, %d) = %s, want %s", tc.code, tc.kills, got, tc.want)
		}
	}
	k := &Kubernetes{GroupKillCgroup: "/sys/fs/cgroup", ContainerLimit: units.BytesLimit(128 << 20), MarginBytes: 20 << 20, ContainerOOMKills: 1, Reason: ReasonOOMKilled}
	if l := k.Line(); !strings.Contains(l, "exit 0, reason OOMKilled") || !strings.Contains(l, "20 MiB below the container's limit of 128 MiB") {
		t.Errorf("Line() = %q", l)
	}
}

// TestKilledWithContainer: only an Incomplete run that wrote the
// group-kill-armed event with the container's limit.
func TestKilledWithContainer(t *testing.T) {
	armed := Event{Kind: EventGroupKill, Bytes: Figure(128 << 20)}
	for _, tc := range []struct {
		name string
		r    Run
		want bool
	}{
		{"armed and cut off", Run{Incomplete: true, Events: []Event{armed}}, true},
		{"armed and finished", Run{Events: []Event{armed}}, false},
		{"cut off, not armed", Run{Incomplete: true, Events: []Event{{Kind: EventPhaseStart}}}, false},
		{"armed without a limit", Run{Incomplete: true, Events: []Event{{Kind: EventGroupKill}}}, false},
	} {
		if got := KilledWithContainer(&tc.r); got != tc.want {
			t.Errorf("%s: KilledWithContainer = %v, want %v", tc.name, got, tc.want)
		}
	}
}
