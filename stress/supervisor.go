package stress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/sample"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
)

// Progress is what a live status line shows.
type Progress struct {
	Elapsed     time.Duration
	Phase       string
	RSS, Live   int64
	CgroupUsage int64 // rundir.Absent without a cgroup
	Limit       units.Limit
	AllocRate   float64 // bytes/s over the last interval
	Stalled     string  // the workers the kernel holds stopped; "" when none
	PhaseShare  float64 // the part of the phase's target reached, 0..1; -1 when it has none
}

// supervisor holds the state of one run while it goes.
type supervisor struct {
	plan  *Plan
	sc    *scenarios.Scenario
	steps []scenarios.Step
	dir   string

	cg            memoryGroup
	limits        Limits
	procs         []*workerProc
	barrier       int // the step whose end the workers wait at, -1 for none
	samples       *rundir.SampleWriter
	samplesBuf    *bufio.Writer // under samples: flushed once per drain (flushSamples), not per row
	events        *rundir.EventWriter
	rd            *rundir.Dir
	files         []*os.File
	startNs       int64 // sample.Now() when the worker was released
	sum           rundir.Summary
	lastProg      time.Time
	lastSmp       rundir.Sample
	enomem        bool
	atLimit       bool
	stalled       string          // the workers the kernel holds stopped, for the progress line
	target        phaseTarget     // how far the running phase has to go
	harnessErr    string          // the first failure of memstorm's own during the run
	errSeen       map[string]int  // harness failures by what failed, for the summary
	base          cgroup.Stats    // the cgroup's counters at the run's start
	runPeak       *cgroup.RunPeak // the kernel's peak restarted for the run, in current mode
	peakNote      string          // why the peak could not be restarted
	swapSeen      bool            // a swap event was written
	oomSeen       int64           // OOM kills already written as events
	lastSmpAtProg rundir.Sample
	phaseIdx      map[int]int   // step index -> index in sum.Phases
	high          *highMeter    // allocation below and above a high limit (high.go); nil without one
	container     *container    // the Kubernetes container memstorm may run in (k8s.go); nil outside one
	drain         time.Duration // how often the sampler's records are written out; 0: drainEvery
}

// Run runs the plan, writes the run directory and returns its summary.
// Bad input was refused by Prepare before; an error from Run is a harness
// failure (the run directory then still holds what was recorded, with
// outcome "failed").
func (p *Plan) Run(ctx context.Context) (*rundir.Summary, error) {
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, p.timeout, fmt.Errorf("the run reached its --timeout of %v", p.timeout))
		defer cancel()
	}
	s := &supervisor{plan: p, sc: p.Scenario, steps: p.Scenario.Steps(), dir: p.Dir, phaseIdx: map[int]int{}, barrier: -1, limits: p.Limits}
	if err := s.prepare(); err != nil {
		s.cleanup()
		if s.cg != nil && s.cg.Mode() == CgroupChild {
			_ = s.cg.Delete()
		}
		return nil, err
	}
	if p.onStart != nil {
		p.onStart()
	}
	s.startKubernetes()
	err := s.supervise(ctx)
	if err != nil {
		s.sum.Outcome = rundir.OutcomeFailed
		if s.sum.Reason == "" {
			s.sum.Reason = err.Error()
		}
		s.event(rundir.Event{Kind: rundir.EventError, Detail: err.Error()})
	}
	if cerr := s.finish(); cerr != nil && err == nil {
		err = cerr
	}
	return &s.sum, err
}

func (s *supervisor) prepare() error {
	// The cgroup first: a run that cannot be contained as asked is refused
	// before its directory is written.
	if err := s.openCgroup(); err != nil {
		return err
	}
	d, err := rundir.Create(s.dir)
	if err != nil {
		return err
	}
	s.rd = d
	if err := s.writeScenario(d); err != nil {
		return err
	}
	sf, err := d.Create(rundir.SamplesFile)
	if err != nil {
		return err
	}
	s.files = append(s.files, sf)
	// One write(2) per drain of the sampler, not per row: at 100 Hz a write
	// per row costs more than the sampling. A row the buffer holds is lost
	// only with the supervisor, which loses the sampler's ring as well.
	s.samplesBuf = bufio.NewWriterSize(sf, 64<<10)
	if s.samples, err = rundir.NewSampleWriter(struct{ io.Writer }{s.samplesBuf}); err == nil {
		err = s.samplesBuf.Flush()
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", sf.Name(), err)
	}
	ef, err := d.Create(rundir.EventsFile)
	if err != nil {
		return err
	}
	s.files = append(s.files, ef)
	s.events = rundir.NewEventWriter(ef)
	return nil
}

// supervise starts the workers and records them until they exit.
func (s *supervisor) supervise(ctx context.Context) error {
	ev, evW, err := newEventPipe()
	if err != nil {
		return err
	}
	defer ev.close()
	err = s.startWorkers(evW)
	evW.Close() // the workers hold it now: its end is theirs
	if err != nil {
		s.abort()
		return err
	}
	var usage *os.File
	if s.cg != nil {
		usage = s.cg.UsageFile()
	}
	swap, memsw := s.openSwapFile()
	memstat, v1, err := openMemStat(s.cg)
	if err != nil {
		s.abort()
		return err
	}
	if memstat != nil {
		s.files = append(s.files, memstat) // closed with the run's files
	}
	s.startHighMeter()
	var limit int64
	if s.sum.Cgroup != nil {
		if b, ok := s.sum.Cgroup.Limit.Bytes(); ok {
			limit = b
		}
	}
	s.startNs = sample.Now()
	smp, err := newSampler(s.plan.Roots.ProcFS(), s.procs, usage, swap, memsw, memstat, v1, limit, s.steps, s.startNs, s.sc.SampleEvery.D(), s.psiReader())
	if err != nil {
		s.abort()
		return err
	}
	smp.flush = s.flushSamples
	smp.useCgroupTHP(memstat != nil && s.cg.Mode() == CgroupChild, s.steps, s.plan.Allocator.Expect)
	if err := smp.start(); err != nil {
		smp.closeFiles()
		s.abort()
		return err
	}
	s.hugePoolEvents("start")
	if err := s.startAll(); err != nil {
		smp.stop(s.record)
		s.abort()
		return err
	}
	interrupted, err := s.watch(ctx, ev, smp)
	smp.stop(s.record)
	s.hugePoolEvents("end")
	if err != nil {
		return err
	}
	s.sum.DurationS = s.now()
	s.decide(interrupted)
	return nil
}

// abort kills and reaps the workers started so far.
func (s *supervisor) abort() {
	s.kill()
	for _, p := range s.procs {
		if !p.exited {
			p.waitErr = p.cmd.Wait()
			p.exited = true
		}
	}
}

// now is the run's clock: seconds since the worker was released, on the
// sampling thread's clock.
func (s *supervisor) now() float64 { return float64(sample.Now()-s.startNs) / 1e9 }

// flushSamples writes out the rows record buffered.
func (s *supervisor) flushSamples() {
	if err := s.samplesBuf.Flush(); err != nil {
		s.harnessFailed(rundir.SamplesFile, err)
	}
}

func (s *supervisor) record(v rundir.Sample) {
	if s.sum.Samples > 0 && v.T < s.lastSmp.T {
		// samples.csv is in time order, always: the sampler hands records
		// over in order (a forced sample waits for the record in progress),
		// so one out of order is a fault, recorded and not written.
		s.harnessFailed(rundir.SamplesFile, fmt.Errorf("a sample at %.6fs came after one at %.6fs", v.T, s.lastSmp.T))
		return
	}
	if err := s.samples.Write(&v); err != nil {
		s.harnessFailed(rundir.SamplesFile, err)
	}
	s.sum.Samples++
	s.sum.PeakRSSBytes = max(s.sum.PeakRSSBytes, v.RSS)
	s.sum.PeakAnonBytes = max(s.sum.PeakAnonBytes, v.Anon)
	s.sum.PeakLiveBytes = max(s.sum.PeakLiveBytes, v.Live)
	if s.sum.Cgroup != nil && v.CgroupUsage > s.sum.Cgroup.PeakUsageBytes {
		s.sum.Cgroup.PeakUsageBytes = v.CgroupUsage
		s.sum.Cgroup.PeakSource = cgroup.PeakSampled
	}
	s.noteSwap(v)
	if s.high != nil {
		s.high.add(v)
	}
	s.progress(v)
	s.lastSmp = v
}

func (s *supervisor) progress(v rundir.Sample) {
	if s.plan.progress == nil || time.Since(s.lastProg) < 250*time.Millisecond {
		return
	}
	rate := 0.0
	if dt := v.T - s.lastSmpAtProg.T; dt > 0 {
		rate = float64(v.AllocBytes-s.lastSmpAtProg.AllocBytes) / dt
	}
	s.lastSmpAtProg = v
	s.lastProg = time.Now()
	s.plan.progress(Progress{Elapsed: time.Duration(v.T * float64(time.Second)), Phase: v.Phase,
		RSS: v.RSS, Live: v.Live, CgroupUsage: v.CgroupUsage, Limit: s.limits.Max, AllocRate: rate, Stalled: s.stalled, PhaseShare: s.target.share(v)})
}

func (s *supervisor) event(e rundir.Event) {
	if s.events == nil {
		return
	}
	if e.T == 0 && s.startNs != 0 {
		e.T = s.now()
	}
	if err := s.events.Write(&e); err != nil {
		s.harnessFailed(rundir.EventsFile, err)
	}
}

// maxHarnessErrors bounds how many failures of one kind are listed.
const maxHarnessErrors = 5

// harnessFailed records a failure of memstorm's own: the first of each
// kind (what failed) in full, the rest counted, so that a full disk is one
// line of the summary and not thousands.
func (s *supervisor) harnessFailed(what string, err error) {
	if s.errSeen == nil {
		s.errSeen = map[string]int{}
	}
	msg := fmt.Sprintf("%s: %v", what, err)
	if s.harnessErr == "" {
		s.harnessErr = msg
	}
	s.errSeen[what]++
	if n := s.errSeen[what]; n <= maxHarnessErrors {
		s.sum.HarnessErrors = append(s.sum.HarnessErrors, msg)
	}
}

// harnessSummary adds the count of failures beyond those listed.
func (s *supervisor) harnessSummary() {
	for what, n := range s.errSeen {
		if n > maxHarnessErrors {
			s.sum.HarnessErrors = append(s.sum.HarnessErrors, fmt.Sprintf("%s: %d more failures like these", what, n-maxHarnessErrors))
		}
	}
}

// finish closes the files, removes the cgroup, writes summary.json and
// renders the rundir. It runs on every path out of Run.
func (s *supervisor) finish() error {
	var errs []error
	s.reportHigh() // before the cgroup goes
	if s.cg != nil {
		errs = append(errs, s.finishCgroup())
	}
	s.sweepFiles()
	errs = append(errs, s.closeWorkers())
	s.cleanup()
	s.harnessSummary()
	s.sum.Expectations = scenarios.Evaluate(s.sc, &s.sum)
	s.sum.Passed = true
	for _, e := range s.sum.Expectations {
		s.sum.Passed = s.sum.Passed && e.Passed
	}
	s.finishKubernetes()
	if err := rundir.WriteSummary(filepath.Join(s.dir, rundir.SummaryFile), &s.sum); err != nil {
		errs = append(errs, err)
	}
	if n := len(s.sum.HarnessErrors); n > 0 {
		errs = append(errs, fmt.Errorf("the record in %s is incomplete: %s", s.dir, strings.Join(s.sum.HarnessErrors, "; ")))
	}
	return errors.Join(errs...)
}

// cleanup closes the run directory's files; a failed close (the last
// buffered bytes not written) is a harness failure.
func (s *supervisor) cleanup() {
	for _, f := range s.files {
		if err := f.Close(); err != nil {
			s.harnessFailed(filepath.Base(f.Name()), err)
		}
	}
	s.files = nil
	if s.rd != nil {
		s.rd.Close()
		s.rd = nil
	}
}

// writeScenario writes scenario.yaml: the scenario as it runs. When the
// run changed it (--scale), that is the changed scenario written out, and
// the file's own text is kept beside it.
func (s *supervisor) writeScenario(d *rundir.Dir) error {
	if sc := s.plan.invocation.Scale; sc == 0 || sc == 1 {
		return d.WriteFile(rundir.ScenarioFile, []byte(s.sc.Source))
	}
	b, err := s.sc.YAML()
	if err != nil {
		return err
	}
	if err := d.WriteFile(rundir.ScenarioFile, b); err != nil {
		return err
	}
	return d.WriteFile(rundir.OriginalScenarioFile, []byte(s.sc.Source))
}
