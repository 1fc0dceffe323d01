package stress

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/wire"
)

// watch records the workers until every one has exited: it collects the
// sampling thread's records four times a second and handles the workers'
// messages as they come, sleeping in the runtime's poller in between. It
// returns why the run was interrupted, if it was.
func (s *supervisor) watch(ctx context.Context, ev *eventPipe, smp *sampler) (interrupted string, err error) {
	exits := make(chan *workerProc, len(s.procs))
	for _, p := range s.procs {
		go func() {
			p.waitErr = p.cmd.Wait()
			p.exitT = s.now()
			exits <- p
			ev.wake() // record the exit now, in time order with the messages
		}()
	}
	running := len(s.procs)
	reaped := func(p *workerProc) {
		p.exited = true
		running--
		s.recordExit(p)
		// A worker that dies while the others wait at a phase end must not
		// keep them waiting.
		s.release(smp)
	}
	handle := func(m wire.Message) { s.handle(m, smp) }
	smp.collect(true, s.record)
	next := time.Now().Add(s.drainEvery())
	for running > 0 {
		if !ev.eof {
			if err := ev.read(next, handle); err != nil {
				s.kill()
				for ; running > 0; running-- {
					(<-exits).exited = true
				}
				return interrupted, err
			}
		} else {
			// Every worker closed the pipe: they are exiting.
			reaped(<-exits)
			continue
		}
		for done := false; !done; {
			select {
			case p := <-exits:
				reaped(p)
			default:
				done = true
			}
		}
		if ctx.Err() != nil && interrupted == "" {
			interrupted = context.Cause(ctx).Error()
			s.event(rundir.Event{Kind: rundir.EventSignal, Detail: interrupted})
			s.kill()
		}
		if now := time.Now(); !now.Before(next) {
			smp.collect(false, s.record)
			s.checkStalled()
			next = now.Add(s.drainEvery())
		}
	}
	// What the workers said before they exited.
	for !ev.eof {
		if err := ev.read(time.Now().Add(time.Second), func(m wire.Message) { s.handle(m, nil) }); err != nil {
			return interrupted, err
		}
	}
	return interrupted, nil
}

// recordExit writes a worker's exit as it happened: an oom-kill event when
// it died of SIGKILL and the cgroup's OOM counter rose, else an exit event;
// with the live bytes it held then, which its status page still has.
func (s *supervisor) recordExit(p *workerProc) {
	ps := p.cmd.ProcessState
	if ps == nil {
		return
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	e := rundir.Event{T: p.exitT, Kind: rundir.EventExit, Phase: s.lastSmp.Phase,
		Detail: s.who(p) + describeWait(ws), Bytes: rundir.Figure(p.page.Totals().Live)}
	if ws.Signaled() && ws.Signal() == syscall.SIGKILL && s.cg != nil {
		if st, err := s.cg.Stats(); err == nil && s.oomKillsSince(st) > s.oomSeen {
			s.oomSeen++
			e.Kind = rundir.EventOOMKill
			e.Detail = s.who(p) + "killed by the memory cgroup's OOM killer"
		}
	}
	s.event(e)
}

// handle records one worker wire.Message. smp is nil once every worker has
// exited: late messages are recorded, nothing is sampled or acked.
func (s *supervisor) handle(m wire.Message, smp *sampler) {
	t := s.now()
	if m.Proc < 0 || m.Proc >= len(s.procs) {
		s.event(rundir.Event{T: t, Kind: rundir.EventError, Detail: fmt.Sprintf("Message from unknown worker %d: %s", m.Proc, m.Kind)})
		return
	}
	p := s.procs[m.Proc]
	switch m.Kind {
	case wire.MsgHello:
		s.sum.Allocator.Name, s.sum.Allocator.Version = m.AllocName, m.AllocVersion
		if m.Proc == 0 {
			s.event(rundir.Event{T: t, Kind: "allocator", Detail: strings.TrimSpace(m.AllocName + " " + m.AllocVersion + " " + m.AllocPath)})
		}
		if why := allocatorMismatch(s.plan.Allocator, m); why != "" {
			p.err = why
			s.event(rundir.Event{T: t, Kind: rundir.EventError, Detail: p.err})
			s.kill()
		}
	case wire.MsgPhaseStart:
		if _, ok := s.phaseIdx[m.Step]; !ok { // the first worker to start it
			s.phaseIdx[m.Step] = len(s.sum.Phases)
			s.sum.Phases = append(s.sum.Phases, rundir.PhaseSummary{Name: m.Name, StartS: t})
			s.event(rundir.Event{T: t, Kind: rundir.EventPhaseStart, Phase: m.Name})
			s.target = s.targetOf(m.Step, t)
		}
	case wire.MsgPhaseEnd:
		p.waiting, p.end = true, m
		s.barrier = m.Step
		s.release(smp)
	case wire.MsgENOMEM:
		s.enomem = true
		s.event(rundir.Event{T: t, Kind: rundir.EventENOMEM, Phase: m.Name, Detail: s.who(p) + m.Detail, Bytes: rundir.Figure(m.Live)})
	case wire.MsgLimit:
		s.atLimit = true
		s.event(rundir.Event{T: t, Kind: rundir.EventLimit, Phase: m.Name, Detail: s.who(p) + m.Detail, Bytes: rundir.Figure(m.Bytes)})
	case wire.MsgTrim:
		s.event(rundir.Event{T: t, Kind: rundir.EventTrim, Phase: m.Name, Detail: s.who(p) + m.Detail, Bytes: rundir.Figure(m.Bytes)})
	case wire.MsgReplay:
		s.event(rundir.Event{T: t, Kind: rundir.EventReplay, Phase: m.Name, Detail: s.who(p) + m.Detail, Bytes: rundir.Figure(m.Bytes), Replay: m.Replay})
	case wire.MsgDone:
		p.done = true
		if m.HarnessCalls != nil {
			n := *m.HarnessCalls
			if s.sum.HarnessMallocCalls != nil {
				n += *s.sum.HarnessMallocCalls
			}
			s.sum.HarnessMallocCalls = &n
		}
		s.sum.BookkeepingBytes = max(s.sum.BookkeepingBytes, m.Bookkeeping)
	case wire.MsgError:
		p.err = m.Detail
		s.event(rundir.Event{T: t, Kind: rundir.EventError, Phase: m.Name, Detail: s.who(p) + m.Detail})
	}
}

// who names a worker process in an event, when the run has several.
func (s *supervisor) who(p *workerProc) string {
	if len(s.procs) == 1 {
		return ""
	}
	return fmt.Sprintf("worker %d (pid %d): ", p.idx, p.cmd.Process.Pid)
}

// release ends the barrier step once every worker still running has ended
// it: one sample for the phase end, the phase's figures (summed over the
// workers), and the acks that let the workers go on. So phases run in
// lockstep, and the figures "at the end of a phase" are of one instant.
func (s *supervisor) release(smp *sampler) {
	if s.barrier < 0 {
		return
	}
	var ended []*workerProc
	for _, p := range s.procs {
		if p.exited {
			continue
		}
		if !p.waiting {
			return
		}
		ended = append(ended, p)
	}
	if smp != nil {
		smp.collect(true, s.record)
	}
	t := s.now()
	var live, inuse, held, book int64
	name := ""
	for _, p := range ended {
		live += p.end.Live
		inuse += p.end.HeapInuse
		held += p.end.HeapHeld
		book += p.end.Bookkeeping
		name = p.end.Name
		p.waiting = false
		if _, err := p.ctl.Write([]byte{wire.CtlAck}); err != nil {
			p.err = fmt.Sprintf("acknowledging the end of phase %s: %v", name, err)
		}
	}
	if i, ok := s.phaseIdx[s.barrier]; ok && len(ended) > 0 {
		ph := &s.sum.Phases[i]
		ph.EndS = t
		ph.RSSBytes, ph.AnonBytes = s.lastSmp.RSS, s.lastSmp.Anon
		ph.LiveBytes, ph.HeapInuseBytes, ph.HeapHeldBytes = live, inuse, held
		ph.CgroupUsageBytes = s.lastSmp.CgroupUsage // Absent without a cgroup
		s.sum.PeakLiveBytes = max(s.sum.PeakLiveBytes, live)
		s.sum.BookkeepingBytes = max(s.sum.BookkeepingBytes, book)
		s.event(rundir.Event{T: t, Kind: rundir.EventPhaseEnd, Phase: name, Bytes: rundir.Figure(live)})
	}
	s.barrier = -1
}

// checkStalled notices a worker that the kernel holds stopped (SIGSTOP, a
// debugger, a frozen cgroup): it makes no progress however long the run
// waits. The stall and the resumption are events, and the progress line
// says which workers are stopped.
func (s *supervisor) checkStalled() {
	var stopped []string
	for _, p := range s.procs {
		if p.exited || p.cmd.Process == nil {
			continue
		}
		st, err := s.plan.Roots.ProcFS().Proc(p.cmd.Process.Pid).Stat()
		now := err == nil && (st.State == 'T' || st.State == 't')
		switch {
		case now && !p.stopped:
			s.event(rundir.Event{Kind: rundir.EventStalled, Phase: s.lastSmp.Phase,
				Detail: fmt.Sprintf("%sstopped by the kernel (state %c): it makes no progress until it is continued", s.who(p), st.State)})
		case !now && p.stopped:
			s.event(rundir.Event{Kind: rundir.EventResumed, Phase: s.lastSmp.Phase, Detail: s.who(p) + "running again"})
		}
		p.stopped = now
		if now {
			stopped = append(stopped, fmt.Sprintf("worker %d (pid %d)", p.idx, p.cmd.Process.Pid))
		}
	}
	s.stalled = strings.Join(stopped, ", ")
}

// phaseTarget is how far the running phase has to go, for the progress
// line's share: live bytes to add, time to spend, or cgroup usage to reach.
type phaseTarget struct {
	startT    float64
	startLive int64
	bytes     int64   // live bytes the phase adds; 0 for none
	seconds   float64 // the phase's duration (until: duration, hold); 0 for none
	usage     int64   // cgroup usage that ends it (until: limit); 0 for none
}

// targetOf reads the target of step i, begun at run time t.
func (s *supervisor) targetOf(i int, t float64) phaseTarget {
	pt := phaseTarget{startT: t, startLive: s.lastSmp.Live}
	if i < 0 || i >= len(s.steps) {
		return pt
	}
	ph := s.steps[i].Phase
	pt.seconds = ph.Hold.D().Seconds()
	if a := s.steps[i].ScaledAllocate(); a != nil {
		pt.bytes = int64(a.Until.Bytes)
		pt.seconds = a.Until.Duration.D().Seconds()
		if lim, ok := s.limits.Max.Bytes(); ok && a.Until.Limit > 0 {
			pt.usage = int64(float64(lim) * float64(a.Until.Limit) / 100)
		}
	}
	return pt
}

// share is the part of the target reached at sample v, 0..1; -1 when the
// phase has no target to measure.
func (pt phaseTarget) share(v rundir.Sample) float64 {
	share, known := 0.0, false
	if pt.bytes > 0 {
		share, known = max(share, float64(v.Live-pt.startLive)/float64(pt.bytes)), true
	}
	if pt.seconds > 0 {
		share, known = max(share, (v.T-pt.startT)/pt.seconds), true
	}
	if pt.usage > 0 && v.CgroupUsage >= 0 {
		share, known = max(share, float64(v.CgroupUsage)/float64(pt.usage)), true
	}
	if !known {
		return -1
	}
	return min(max(share, 0), 1)
}

// allocatorMismatch says why the allocator the worker detected is not the
// one asked for: another name, or for a library given by path another
// file; "" when it is.
func allocatorMismatch(c allocators.Choice, hello wire.Message) string {
	if c.Expect != "" && c.Expect != hello.AllocName {
		return fmt.Sprintf("allocator %s was requested, but malloc in the worker is served by %s (%s)", c.Expect, hello.AllocName, hello.AllocPath)
	}
	if c.ExpectPath != "" {
		got, err := filepath.EvalSymlinks(hello.AllocPath)
		if err != nil || got != c.ExpectPath {
			return fmt.Sprintf("allocator library %s was requested, but malloc in the worker is served by %s (%s)", c.Label, hello.AllocPath, hello.AllocName)
		}
	}
	return ""
}
