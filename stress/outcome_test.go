package stress

import (
	"strings"
	"syscall"
	"testing"

	"github.com/memstorm/memstorm/rundir"
)

// Wait statuses as the kernel encodes them.
func exited(code int) syscall.WaitStatus           { return syscall.WaitStatus(code << 8) }
func signaled(s syscall.Signal) syscall.WaitStatus { return syscall.WaitStatus(s) }

func TestClassify(t *testing.T) {
	cases := []struct {
		name   string
		f      exitFacts
		want   rundir.Outcome
		reason string
	}{
		{"completed", exitFacts{Status: exited(0), Done: true, OOMKills: 0}, rundir.OutcomeCompleted, ""},
		{"oom kill counted", exitFacts{Status: signaled(syscall.SIGKILL), OOMKills: 1}, rundir.OutcomeOOMKilled, "OOM killer"},
		{"sigkill without a counted kill", exitFacts{Status: signaled(syscall.SIGKILL), OOMKills: 0}, rundir.OutcomeFailed, "no OOM kill"},
		{"sigbus at the hugetlb limit", exitFacts{Status: signaled(syscall.SIGBUS), HugeTLBMax: 1}, rundir.OutcomeHugeTLBLimit, "hugetlb limit"},
		{"sigbus without a refused page", exitFacts{Status: signaled(syscall.SIGBUS), HugeTLBMax: 0}, rundir.OutcomeFailed, "refused no page"},
		{"sigbus without a hugetlb controller", exitFacts{Status: signaled(syscall.SIGBUS), HugeTLBMax: -1}, rundir.OutcomeFailed, "bus error"},
		{"sigkill with hugetlb refusals is no hugetlb-limit", exitFacts{Status: signaled(syscall.SIGKILL), OOMKills: 0, HugeTLBMax: 2}, rundir.OutcomeFailed, "no OOM kill"},
		{"sigkill without a cgroup", exitFacts{Status: signaled(syscall.SIGKILL), OOMKills: -1}, rundir.OutcomeFailed, "unknown"},
		{"oom counted but exited 0", exitFacts{Status: exited(0), Done: true, OOMKills: 1}, rundir.OutcomeCompleted, ""},
		{"segfault", exitFacts{Status: signaled(syscall.SIGSEGV), OOMKills: 0}, rundir.OutcomeFailed, "segmentation"},
		{"worker error", exitFacts{Status: exited(1), WorkerErr: "phase x: boom"}, rundir.OutcomeFailed, "boom"},
		{"stderr tail", exitFacts{Status: exited(2), StderrTail: "a\nfatal error: runtime: out of memory\n"}, rundir.OutcomeFailed, "out of memory"},
		{"exited early", exitFacts{Status: exited(0), Done: false}, rundir.OutcomeFailed, "before it finished"},
		{"enomem", exitFacts{Status: exited(0), Done: true, ENOMEM: true}, rundir.OutcomeENOMEM, "ENOMEM"},
		{"at limit", exitFacts{Status: exited(0), Done: true, AtLimit: true}, rundir.OutcomeStoppedAtLimit, "limit"},
		{"interrupted wins", exitFacts{Interrupted: "interrupt", Status: signaled(syscall.SIGKILL), OOMKills: 0}, rundir.OutcomeInterrupted, "interrupt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := classify(tc.f)
			if got != tc.want {
				t.Errorf("outcome = %s, want %s (reason %q)", got, tc.want, reason)
			}
			if !strings.Contains(reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", reason, tc.reason)
			}
		})
	}
}
