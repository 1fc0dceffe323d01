package worker

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
	"github.com/memstorm/memstorm/wire"
)

// prepare decodes the trace of a replay step (into mappings of its own,
// see alloc.LoadReplay) and hands the Go heap's garbage back to the
// kernel, so that the replay phase's anonymous RSS grows by the heap under
// test alone.
func (p *workerPool) prepare(st scenarios.Step) error {
	r := st.Phase.Replay
	if r == nil {
		return nil
	}
	rp, err := alloc.LoadReplay(r.Path, r.Threads == scenarios.ThreadsOne)
	if err != nil {
		return fmt.Errorf("loading the trace: %w", err)
	}
	p.nextReplay = rp
	debug.FreeOSMemory()
	return nil
}

// replay runs a replay phase on thread 0 (the process's main thread, as the
// recorded program's first thread was), with one new OS thread per other
// recorded thread. The trace's objects still live at its end stay live, as
// they were when the recorded program exited.
func (p *workerPool) replay(st scenarios.Step) (stepResult, error) {
	r, rp := st.Phase.Replay, p.nextReplay
	p.nextReplay = nil
	if rp == nil {
		return stepResult{}, fmt.Errorf("replay step %s was not prepared", st.Name)
	}
	var res alloc.ReplayResult
	var err error
	p.alone(p.threads[0], func(_ *thread, e *alloc.Engine) {
		res, err = e.Replay(rp, alloc.ReplayOptions{Touch: r.TouchesPages(), Speed: r.Speed})
	})
	if err != nil {
		return stepResult{}, err
	}
	rate := float64(res.Ops) / max(res.Elapsed.Seconds(), 1e-9)
	// Peak live is the live bytes at the recorded peak's point of the
	// stream, where every thread stood (alloc.ReplayResult); the replay's
	// own maximum is beside it.
	atPeak := res.AtRecordedPeak
	if atPeak < 0 {
		atPeak = res.PeakLive
	}
	m := wire.Message{Kind: wire.MsgReplay, Bytes: atPeak, Detail: fmt.Sprintf(
		"%d ops on %d threads in %v (%.1f M ops/s); live at the recorded peak %s (the trace's %s), the most live as it ran %s; %d allocations failed",
		res.Ops, rp.Threads, res.Elapsed.Round(time.Microsecond), rate/1e6,
		units.FormatBytes(atPeak), units.FormatBytes(r.PeakLive), units.FormatBytes(res.PeakLive), res.Failures)}
	fig := &rundir.ReplayFigures{PeakLive: atPeak, MaxLive: res.PeakLive, Ops: res.Ops}
	if x := res.RSS; x != nil {
		fig.RSSSamples, fig.RecordedBaseline, fig.Baseline = x.Samples, x.RecBaseline, x.Baseline
		fig.RecordedPeakRSS, fig.PeakRSS, fig.RecordedEndRSS, fig.EndRSS = x.RecPeak, x.Peak, x.RecLast, x.Last
		m.Detail += fmt.Sprintf("; at the recorded program's %d RSS samples: peak %s (recorded %s), at the last %s (recorded %s)",
			x.Samples, units.FormatBytes(x.Peak), units.FormatBytes(x.RecPeak), units.FormatBytes(x.Last), units.FormatBytes(x.RecLast))
	}
	m.Replay = fig
	return stepResult{notes: []wire.Message{m}}, nil
}
