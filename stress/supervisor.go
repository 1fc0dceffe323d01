package stress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/sample"
)

// Options say how to run a scenario.
type Options struct {
	// Dir is the run directory. It is created; it must not exist already,
	// or be empty.
	Dir string
	// Allocator is glibc (the default), jemalloc, tcmalloc, mimalloc or the
	// path of a malloc library to LD_PRELOAD into the worker.
	Allocator string
	// Limit overrides the scenario's limit block field by field (the
	// command line's --limit, --high, --swap).
	Limit *Limit
	// Cgroup is "auto" (default: a child cgroup, else memstorm's own when a
	// child cannot be created), "child", "current" or "none".
	Cgroup string
	// Progress, when set, is called a few times a second while the run goes.
	Progress func(Progress)
	// Executable is the binary re-executed as the worker; default: this one.
	Executable string
}

// Progress is what a live status line shows.
type Progress struct {
	Elapsed     time.Duration
	Phase       string
	RSS, Live   int64
	CgroupUsage int64   // report.Absent without a cgroup
	Limit       int64   // -1 unlimited
	AllocRate   float64 // bytes/s over the last interval
}

// supervisor holds the state of one run while it goes.
type supervisor struct {
	sc    *Scenario
	opt   Options
	steps []Step
	dir   string

	cg            memoryGroup
	limit         Limit
	cmd           *exec.Cmd
	page          *statusPage
	stderr        *tailBuffer
	samples       *report.SampleWriter
	events        *report.EventWriter
	files         []io.Closer
	startNs       int64 // sample.Now() when the worker was released
	sum           report.Summary
	lastProg      time.Time
	lastSmp       report.Sample
	enomem        bool
	atLimit       bool
	done          bool
	workerErr     string
	cgNote        string
	oomBase       int64
	lastSmpAtProg report.Sample
	phaseIdx      map[int]int // step index -> index in sum.Phases
}

// Run runs sc as opt says, writes the run directory and returns its
// summary. Bad input was refused by Check before; an error from Run is a
// harness failure (the run directory then still holds what was recorded,
// with outcome "failed").
func Run(ctx context.Context, sc *Scenario, opt Options) (*report.Summary, error) {
	s := &supervisor{sc: sc, opt: opt, steps: sc.Steps(), dir: opt.Dir, phaseIdx: map[int]int{}}
	s.limit = effectiveLimit(sc.Limit, opt.Limit)
	if err := s.prepare(); err != nil {
		s.cleanup()
		return nil, err
	}
	err := s.supervise(ctx)
	if err != nil {
		s.sum.Outcome = report.OutcomeFailed
		if s.sum.Reason == "" {
			s.sum.Reason = err.Error()
		}
		s.event(report.Event{Kind: report.EventError, Detail: err.Error()})
	}
	if cerr := s.finish(); cerr != nil && err == nil {
		err = cerr
	}
	return &s.sum, err
}

func (s *supervisor) prepare() error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("creating run directory %s: %w", s.dir, err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "scenario.yaml"), []byte(s.sc.Source), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(s.dir, "scenario.yaml"), err)
	}
	sf, err := os.Create(filepath.Join(s.dir, "samples.csv"))
	if err != nil {
		return fmt.Errorf("creating samples.csv in %s: %w", s.dir, err)
	}
	s.files = append(s.files, sf)
	if s.samples, err = report.NewSampleWriter(sf); err != nil {
		return fmt.Errorf("writing %s: %w", sf.Name(), err)
	}
	ef, err := os.Create(filepath.Join(s.dir, "events.jsonl"))
	if err != nil {
		return fmt.Errorf("creating events.jsonl in %s: %w", s.dir, err)
	}
	s.files = append(s.files, ef)
	s.events = report.NewEventWriter(ef)

	s.sum = report.Summary{
		Scenario:     s.sc.Name,
		Description:  s.sc.Description,
		Started:      time.Now().UTC().Format(time.RFC3339),
		SampleEveryS: s.sc.SampleEvery.D().Seconds(),
		Passed:       true,
		Allocator:    report.AllocatorInfo{Requested: s.opt.Allocator, Env: s.sc.Env, Mallopt: s.sc.Mallopt},
	}
	s.sum.Machine = describeMachine()
	cg, note, err := openGroup(s.opt.Cgroup, s.limit)
	if err != nil {
		return err
	}
	s.cg = cg
	if cg == nil {
		s.cgNote = note
		return nil
	}
	st, err := cg.Stats()
	if err != nil {
		return fmt.Errorf("reading memory cgroup %s: %w", cg.Path(), err)
	}
	s.oomBase = st.OOMKills
	s.sum.Cgroup = cgroupSummary(cg, st)
	s.sum.Cgroup.Note = note
	if cg.Mode() == CgroupCurrent && s.limit.Max <= 0 && st.Limit > 0 {
		s.limit.Max = Size(st.Limit) // in-container: the container's limit is the run's
	}
	return nil
}

// supervise starts the worker and records it until it exits.
func (s *supervisor) supervise(ctx context.Context) error {
	preload, err := preloadFor(s.opt.Allocator)
	if err != nil {
		return err
	}
	if s.page, err = newStatusPage(s.sc.Workers); err != nil {
		return err
	}
	ev, evW, err := newEventPipe()
	if err != nil {
		return err
	}
	defer ev.close()
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		evW.Close()
		return fmt.Errorf("creating the control pipe: %w", err)
	}
	defer ctlW.Close()

	spec := workerSpec{Scenario: s.sc, LimitBytes: int64(s.limit.Max), HasUsage: s.cg != nil}
	if s.limit.Max <= 0 {
		spec.LimitBytes = -1
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("encoding the worker spec: %w", err)
	}
	exe := s.opt.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("finding memstorm's own executable to start the worker: %w", err)
		}
	}
	cmd := exec.Command(exe)
	cmd.Args = []string{"memstorm-worker"}
	cmd.Stdin = bytes.NewReader(in)
	s.stderr = newTailBuffer(filepath.Join(s.dir, "worker.log"), 8<<10)
	cmd.Stderr = s.stderr
	cmd.Stdout = s.stderr
	cmd.Env = workerEnviron(os.Environ(), s.sc.Env, preload)
	cmd.ExtraFiles = []*os.File{s.page.file, evW, ctlR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if s.cg != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, s.cg.UsageFile())
		if fd := s.cg.FD(); fd >= 0 {
			cmd.SysProcAttr.UseCgroupFD = true
			cmd.SysProcAttr.CgroupFD = fd
		}
	}
	if err := cmd.Start(); err != nil {
		evW.Close()
		ctlR.Close()
		return fmt.Errorf("starting the worker %s: %w", exe, err)
	}
	s.cmd = cmd
	evW.Close()
	ctlR.Close()
	pid := cmd.Process.Pid

	if err := s.admit(pid); err != nil {
		s.kill()
		_ = cmd.Wait()
		return err
	}
	var usage *os.File
	if s.cg != nil {
		usage = s.cg.UsageFile()
	}
	s.startNs = sample.Now()
	smp, err := newSampler(pid, s.page, usage, s.steps, s.startNs, s.sc.SampleEvery.D(), s.psiReader())
	if err != nil {
		s.kill()
		_ = cmd.Wait()
		return err
	}
	if err := smp.start(); err != nil {
		s.kill()
		_ = cmd.Wait()
		return err
	}
	if _, err := ctlW.Write([]byte{ctlGo}); err != nil {
		s.kill()
		_ = cmd.Wait()
		return fmt.Errorf("releasing the worker: %w", err)
	}
	interrupted, err := s.watch(ctx, ev, smp, ctlW)
	if err != nil {
		s.kill()
	}
	waitErr := cmd.Wait()
	smp.stop(s.record)
	if err != nil {
		return err
	}
	s.sum.DurationS = s.now()
	s.decide(cmd.ProcessState, waitErr, interrupted)
	return nil
}

// watch samples the worker every sample interval and records its messages
// until it exits (the end of its event pipe). It returns why the run was
// interrupted, if it was.
func (s *supervisor) watch(ctx context.Context, ev *eventPipe, smp *sampler, ctl io.Writer) (interrupted string, err error) {
	handle := func(m message) { s.handle(m, smp, ctl) }
	smp.collect(true, s.record)
	next := time.Now().Add(drainEvery)
	for {
		if err := ev.read(next, handle); err != nil {
			return interrupted, err
		}
		if ev.eof {
			return interrupted, nil
		}
		if ctx.Err() != nil && interrupted == "" {
			interrupted = context.Cause(ctx).Error()
			s.event(report.Event{Kind: report.EventSignal, Detail: interrupted})
			s.kill()
		}
		if now := time.Now(); !now.Before(next) {
			smp.collect(false, s.record)
			next = now.Add(drainEvery)
		}
	}
}

// admit puts the worker, still blocked before its first allocation, into
// the run's cgroup (v1: by pid; v2 already did it at clone) and makes it
// the OOM killer's first choice.
func (s *supervisor) admit(pid int) error {
	if s.cg != nil && s.cg.FD() < 0 && s.cg.Mode() == "child" {
		if err := s.cg.AddProc(pid); err != nil {
			return fmt.Errorf("moving the worker (pid %d) into %s: %w", pid, s.cg.Path(), err)
		}
	}
	return setOOMScoreAdj(pid, 1000)
}

func (s *supervisor) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
	}
}

// now is the run's clock: seconds since the worker was released, on the
// sampling thread's clock.
func (s *supervisor) now() float64 { return float64(sample.Now()-s.startNs) / 1e9 }

func (s *supervisor) record(v report.Sample) {
	if err := s.samples.Write(&v); err != nil && s.workerErr == "" {
		s.workerErr = fmt.Sprintf("writing samples.csv: %v", err)
	}
	s.sum.Samples++
	s.sum.PeakRSSBytes = max(s.sum.PeakRSSBytes, v.RSS)
	s.sum.PeakLiveBytes = max(s.sum.PeakLiveBytes, v.Live)
	if s.sum.Cgroup != nil && v.CgroupUsage > s.sum.Cgroup.PeakUsageBytes {
		s.sum.Cgroup.PeakUsageBytes = v.CgroupUsage
		s.sum.Cgroup.PeakSource = "sampled"
	}
	s.progress(v)
	s.lastSmp = v
}

func (s *supervisor) progress(v report.Sample) {
	if s.opt.Progress == nil || time.Since(s.lastProg) < 250*time.Millisecond {
		return
	}
	rate := 0.0
	if dt := v.T - s.lastSmpAtProg.T; dt > 0 {
		rate = float64(v.AllocBytes-s.lastSmpAtProg.AllocBytes) / dt
	}
	s.lastSmpAtProg = v
	s.lastProg = time.Now()
	lim := int64(-1)
	if s.limit.Max > 0 {
		lim = int64(s.limit.Max)
	}
	s.opt.Progress(Progress{Elapsed: time.Duration(v.T * float64(time.Second)), Phase: v.Phase,
		RSS: v.RSS, Live: v.Live, CgroupUsage: v.CgroupUsage, Limit: lim, AllocRate: rate})
}

func (s *supervisor) event(e report.Event) {
	if s.events == nil {
		return
	}
	if e.T == 0 && s.startNs != 0 {
		e.T = s.now()
	}
	_ = s.events.Write(&e)
}

// handle records one worker message. smp and ctl are nil once the worker
// has exited (late messages are recorded, nothing is sampled or acked).
func (s *supervisor) handle(m message, smp *sampler, ctl io.Writer) {
	t := s.now()
	switch m.Kind {
	case msgHello:
		s.sum.Allocator.Name, s.sum.Allocator.Version = m.AllocName, m.AllocVersion
		s.event(report.Event{T: t, Kind: "allocator", Detail: strings.TrimSpace(m.AllocName + " " + m.AllocVersion + " " + m.AllocPath)})
		if want := expectedAllocator(s.opt.Allocator); want != "" && want != m.AllocName {
			s.workerErr = fmt.Sprintf("allocator %s was requested, but malloc in the worker is served by %s (%s)", want, m.AllocName, m.AllocPath)
			s.event(report.Event{T: t, Kind: report.EventError, Detail: s.workerErr})
			s.kill()
		}
	case msgPhaseStart:
		s.phaseIdx[m.Step] = len(s.sum.Phases)
		s.sum.Phases = append(s.sum.Phases, report.PhaseSummary{Name: m.Name, StartS: t})
		s.event(report.Event{T: t, Kind: report.EventPhaseStart, Phase: m.Name})
	case msgPhaseEnd:
		if smp != nil {
			smp.collect(true, s.record)
		}
		if i, ok := s.phaseIdx[m.Step]; ok {
			p := &s.sum.Phases[i]
			p.EndS = t
			p.RSSBytes = s.lastSmp.RSS
			p.AnonBytes = s.lastSmp.Anon
			p.LiveBytes = m.Live
			p.HeapInuseBytes = m.HeapInuse
			p.HeapHeldBytes = m.HeapHeld
			p.CgroupUsageBytes = max(s.lastSmp.CgroupUsage, 0)
		}
		s.sum.PeakLiveBytes = max(s.sum.PeakLiveBytes, m.Live)
		s.sum.BookkeepingBytes = max(s.sum.BookkeepingBytes, m.Bookkeeping)
		s.event(report.Event{T: t, Kind: report.EventPhaseEnd, Phase: m.Name, Bytes: m.Live})
		if ctl != nil {
			_, _ = ctl.Write([]byte{ctlAck})
		}
	case msgENOMEM:
		s.enomem = true
		s.event(report.Event{T: t, Kind: report.EventENOMEM, Phase: m.Name, Detail: m.Detail, Bytes: m.Live})
	case msgLimit:
		s.atLimit = true
		s.event(report.Event{T: t, Kind: report.EventLimit, Phase: m.Name, Detail: m.Detail, Bytes: m.Bytes})
	case msgTrim:
		s.event(report.Event{T: t, Kind: report.EventTrim, Phase: m.Name, Detail: m.Detail, Bytes: m.Bytes})
	case msgDone:
		s.done = true
		s.sum.BookkeepingBytes = max(s.sum.BookkeepingBytes, m.Bookkeeping)
	case msgError:
		s.workerErr = m.Detail
		s.event(report.Event{T: t, Kind: report.EventError, Phase: m.Name, Detail: m.Detail})
	}
}

// finish closes the files, removes the cgroup, writes summary.json and
// renders the report. It runs on every path out of Run.
func (s *supervisor) finish() error {
	var errs []error
	if s.cg != nil {
		errs = append(errs, s.finishCgroup())
	}
	if s.stderr != nil {
		errs = append(errs, s.stderr.Close())
	}
	if s.page != nil {
		errs = append(errs, s.page.close())
	}
	s.cleanup()
	s.sum.Expectations = Evaluate(s.sc, &s.sum)
	s.sum.Passed = true
	for _, e := range s.sum.Expectations {
		s.sum.Passed = s.sum.Passed && e.Passed
	}
	if err := report.WriteSummary(filepath.Join(s.dir, "summary.json"), &s.sum); err != nil {
		errs = append(errs, err)
	}
	if err := report.Render(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("rendering the report of %s: %w", s.dir, err))
	}
	return errors.Join(errs...)
}

func (s *supervisor) cleanup() {
	for _, f := range s.files {
		_ = f.Close()
	}
	s.files = nil
}
