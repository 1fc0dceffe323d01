package main

import (
	"fmt"
	"io"

	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
)

// firstReplay returns the first replay step of a scenario.
func firstReplay(sc *scenarios.Scenario) (scenarios.Step, bool) {
	for _, st := range sc.Steps() {
		if st.Phase.Replay != nil {
			return st, true
		}
	}
	return scenarios.Step{}, false
}

// replayTable prints, for runs of a scenario with a replay phase, the
// fidelity table (the recorded program's row first, then one per run) and
// draws replay.png in base. Runs without a replay phase print nothing. A
// trace without RSS samples (imported) gets the runs' rows only.
func replayTable(plans []*stress.Plan, dirs []string, base string, stdout io.Writer) error {
	if len(plans) == 0 || len(dirs) == 0 {
		return nil
	}
	st, ok := firstReplay(plans[0].Scenario)
	if !ok {
		return nil
	}
	var rows []report.ReplayRow
	rec, err := report.RecordedReplayRow(st.Phase.Replay.Path)
	if err == nil {
		rows = append(rows, rec)
	} else {
		fmt.Fprintf(stdout, "replay: no recorded curve to compare with: %v\n", err)
		rows = append(rows, report.ReplayRow{Label: "recorded (no RSS)", PeakLive: st.Phase.Replay.PeakLive})
	}
	for i, dir := range dirs {
		r, err := report.Load(dir)
		if err != nil {
			return err
		}
		label := dir
		if i < len(plans) {
			label = "replay, " + plans[i].Allocator.Label
		}
		row, err := report.ReplayRunRow(r, st.Name, label)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	fmt.Fprintf(stdout, "replay of %s (phase %s; RSS is anonymous memory above each process's baseline):\n", st.Phase.Replay.Path, st.Name)
	if err := report.WriteReplayTable(stdout, rows); err != nil {
		return err
	}
	path, err := report.WriteReplayFigure(base, rows)
	if err != nil {
		return fmt.Errorf("drawing the replay figure: %w", err)
	}
	fmt.Fprintf(stdout, "replay figure: %s\n", path)
	return nil
}
