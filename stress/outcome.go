package stress

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/memstorm/memstorm/rundir"
	"golang.org/x/sys/unix"
)

// exitFacts is everything the outcome of a run is decided from. Keeping it
// plain data makes the decision testable without killing anything.
type exitFacts struct {
	Interrupted string             // why memstorm was interrupted, "" if not
	Status      syscall.WaitStatus // the worker's wait status
	Done        bool               // the worker said every step ran
	OOMKills    int64              // memcg OOM kills counted in the run's cgroup during the run (-1 unknown)
	HugeTLBMax  int64              // huge page faults the cgroup's hugetlb limit refused (-1 unknown)
	ENOMEM      bool
	AtLimit     bool
	WorkerErr   string // the worker's own error message, if it sent one
	StderrTail  string
}

// classify decides the outcome. An OOM kill is claimed only when the worker
// died of SIGKILL AND the cgroup's own counter says its OOM killer killed
// during the run: a SIGKILL from anyone else is never reported as an OOM
// kill, and an OOM kill is never reported as a success.
func classify(f exitFacts) (rundir.Outcome, string) {
	ws := f.Status
	switch {
	case f.Interrupted != "":
		return rundir.OutcomeInterrupted, f.Interrupted + ": the worker was stopped"
	case ws.Signaled() && ws.Signal() == syscall.SIGKILL && f.OOMKills > 0:
		return rundir.OutcomeOOMKilled, fmt.Sprintf("killed by the kernel's memory cgroup OOM killer (%d oom_kill counted in the run's cgroup)", f.OOMKills)
	case ws.Signaled() && ws.Signal() == syscall.SIGBUS && f.HugeTLBMax > 0:
		return rundir.OutcomeHugeTLBLimit, fmt.Sprintf("SIGBUS at a huge page fault past the cgroup's hugetlb limit (%d refused, hugetlb.<size>.events max / failcnt)", f.HugeTLBMax)
	case ws.Signaled():
		why := fmt.Sprintf("the worker was killed by signal %v", ws.Signal())
		if ws.Signal() == syscall.SIGKILL {
			if f.OOMKills == 0 {
				why += ", and the cgroup counted no OOM kill: someone else sent it"
			} else {
				why += "; whether the OOM killer sent it is unknown (no cgroup counter)"
			}
		}
		if ws.Signal() == syscall.SIGBUS && f.HugeTLBMax == 0 {
			why += ", and the cgroup's hugetlb controller refused no page"
		}
		if ws.CoreDump() {
			why += " (core dumped)"
		}
		return rundir.OutcomeFailed, withDetail(why, f)
	case ws.Exited() && ws.ExitStatus() != 0:
		return rundir.OutcomeFailed, withDetail(fmt.Sprintf("the worker exited with status %d", ws.ExitStatus()), f)
	case !f.Done:
		return rundir.OutcomeFailed, withDetail("the worker exited before it finished its phases", f)
	case f.ENOMEM:
		return rundir.OutcomeENOMEM, "an allocation failed with ENOMEM; allocation stopped and the remaining phases ran"
	case f.AtLimit:
		return rundir.OutcomeStoppedAtLimit, "allocation stopped at the requested share of the cgroup limit; the remaining phases ran"
	}
	return rundir.OutcomeCompleted, ""
}

func withDetail(why string, f exitFacts) string {
	if f.WorkerErr != "" {
		return why + ": " + f.WorkerErr
	}
	if t := strings.TrimSpace(f.StderrTail); t != "" {
		if i := strings.LastIndexByte(t, '\n'); i >= 0 {
			t = t[i+1:]
		}
		return why + ": " + t
	}
	return why
}

// describeWait says a wait status in words for summary.json.
func describeWait(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %s", unix.SignalName(ws.Signal()))
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// decide fills the outcome fields of the summary once the workers are
// gone. Each worker's exit is classified on its own; the run's outcome is
// the most telling of them (interrupted, then oom-killed, hugetlb-limit, failed, enomem,
// stopped-at-limit, completed): one worker of three killed by the OOM
// killer makes an oom-killed run, with "1 of 3" in the reason.
func (s *supervisor) decide(interrupted string) {
	oomKills := int64(-1)
	if s.cg != nil {
		if st, err := s.cg.Stats(); err == nil {
			oomKills = s.oomKillsSince(st)
		}
	}
	hugeMax := int64(-1)
	if h, ok := s.cg.(interface{ HugeTLBFailures() (int64, error) }); ok && s.cg.Mode() == CgroupChild {
		// A child made for the run: every refusal counted is the run's.
		if n, err := h.HugeTLBFailures(); err == nil && n >= 0 {
			hugeMax = n
		}
	}
	type verdict struct {
		outcome rundir.Outcome
		reason  string
	}
	var verdicts []verdict
	var statuses []string
	for _, p := range s.procs {
		f := exitFacts{Interrupted: interrupted, Done: p.done,
			ENOMEM: s.enomem, AtLimit: s.atLimit, WorkerErr: p.err, OOMKills: oomKills,
			HugeTLBMax: hugeMax, StderrTail: p.stderr.Tail()}
		if s.harnessErr != "" && f.WorkerErr == "" {
			f.WorkerErr = s.harnessErr
		}
		if ps := p.cmd.ProcessState; ps != nil {
			f.Status, _ = ps.Sys().(syscall.WaitStatus)
			statuses = append(statuses, describeWait(f.Status))
			if ru, ok := ps.SysUsage().(*syscall.Rusage); ok && ru.Maxrss*1024 > p.spawnHWM {
				// ru_maxrss is the kernel's own high-water RSS of the worker
				// in KiB: the exact peak of one worker, even between two
				// samples (of several workers, a lower bound of their sum).
				// At or below the supervisor's own high-water mark at the
				// spawn it may be the supervisor's (see spawnHWM), so the
				// sampled peak stands instead.
				s.sum.PeakRSSBytes = max(s.sum.PeakRSSBytes, ru.Maxrss*1024)
			}
		} else if p.waitErr != nil {
			f.WorkerErr = p.waitErr.Error()
		}
		o, r := classify(f)
		verdicts = append(verdicts, verdict{o, r})
	}
	rank := map[rundir.Outcome]int{rundir.OutcomeInterrupted: 7, rundir.OutcomeOOMKilled: 6, rundir.OutcomeHugeTLBLimit: 5, rundir.OutcomeFailed: 4,
		rundir.OutcomeENOMEM: 3, rundir.OutcomeStoppedAtLimit: 2, rundir.OutcomeCompleted: 1}
	best, count := 0, 0
	for i, v := range verdicts {
		if rank[v.outcome] > rank[verdicts[best].outcome] {
			best = i
		}
	}
	for _, v := range verdicts {
		if v.outcome == verdicts[best].outcome {
			count++
		}
	}
	s.sum.Outcome, s.sum.Reason = verdicts[best].outcome, verdicts[best].reason
	s.sum.ExitStatus = strings.Join(statuses, ", ")
	if n := len(s.procs); n > 1 && s.sum.Outcome != rundir.OutcomeCompleted {
		s.sum.Reason = fmt.Sprintf("%d of %d worker processes %s", count, n, s.sum.Reason)
	}
	s.closeOpenPhase()
	if s.sum.Outcome == rundir.OutcomeOOMKilled && len(s.procs) == 1 {
		// The status page outlives the worker: its counters are the live
		// bytes at the instant of the kill, even between two samples. (Of
		// several workers, each died at its own instant: their sum is no
		// instant's; each kill's event has its worker's figure.)
		s.sum.PeakLiveBytes = max(s.sum.PeakLiveBytes, s.liveNow())
	}
}

// liveNow sums the workers' live bytes from their status pages.
func (s *supervisor) liveNow() int64 {
	var live int64
	for _, p := range s.procs {
		live += p.page.Totals().Live
	}
	return live
}

// closeOpenPhase ends a phase the workers never finished (killed, crashed,
// interrupted) at the moment they died, with the last figures recorded: the
// last sample's, and for a single worker the live bytes and heap from its
// status page, which outlives it and so holds them at the instant of death.
func (s *supervisor) closeOpenPhase() {
	n := len(s.sum.Phases)
	if n == 0 || s.sum.Phases[n-1].EndS != 0 {
		return
	}
	p := &s.sum.Phases[n-1]
	p.EndS = s.now()
	p.RSSBytes, p.AnonBytes = s.lastSmp.RSS, s.lastSmp.Anon
	p.CgroupUsageBytes = s.lastSmp.CgroupUsage
	p.LiveBytes = s.lastSmp.Live
	p.HeapInuseBytes, p.HeapHeldBytes = s.lastSmp.HeapInuse, s.lastSmp.HeapHeld
	if len(s.procs) == 1 {
		w := s.procs[0]
		p.LiveBytes = s.liveNow()
		h := w.page.Heap()
		p.HeapInuseBytes, p.HeapHeldBytes = h.InUse, h.Held
	}
}

// finishCgroup records the cgroup's final counters, the run's own, and
// removes a child cgroup created for the run.
func (s *supervisor) finishCgroup() error {
	cs := s.sum.Cgroup
	st, err := s.cg.Stats()
	if err != nil {
		// Without the final counters an OOM kill could go uncounted: say
		// so rather than report 0 kills.
		s.harnessFailed("the run's cgroup counters", err)
		if cs != nil {
			cs.OOMKilledProcesses, cs.OOMKill, cs.OOMGroupKill, cs.Failcnt = rundir.Absent, rundir.Absent, rundir.Absent, rundir.Absent
		}
		if s.runPeak != nil {
			_ = s.runPeak.Close()
		}
	}
	if err == nil && cs != nil {
		s.finishCounters(st)
	}
	if s.cg.Mode() != CgroupChild {
		return nil
	}
	if derr := s.cg.Delete(); derr != nil {
		return fmt.Errorf("removing the run's cgroup %s: %w", s.cg.Path(), derr)
	}
	return nil
}
