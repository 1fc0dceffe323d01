package bench

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/alloc/cref"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
	"github.com/memstorm/memstorm/worker"
)

// The fidelity suite holds memstorm's figures against a plain C program
// doing the same thing: for each built-in that a twin can express (one
// thread, one process, malloc fills to a byte or count target, frees by
// pattern, trims and holds), the twin (alloc/cref) runs the same engine
// code with the same seed, with no Go runtime and no harness, and reads its
// RssAnon after every step without allocating. memstorm's anon at every
// phase end must be within FidelityTolerance of the twin's.

// FidelityScenarios are the built-ins the suite runs.
var FidelityScenarios = []string{"eat-and-return", "every-other", "keep-one-per-page", "top-chunk-pin"}

// FidelityTolerance is how far memstorm's anon at a phase end may be from
// the twin's: 10% of the twin's figure, and never less than
// FidelityFloorBytes, the worker's own anonymous memory (the Go runtime's
// heap and stacks, the status page), which the twin does not have.
const (
	FidelityTolerance  = 0.10
	FidelityFloorBytes = 4 << 20
)

// FidelityRow is one phase end of one scenario under one allocator.
type FidelityRow struct {
	Scenario  string  `json:"scenario"`
	Allocator string  `json:"allocator"`
	Phase     string  `json:"phase"`
	TwinAnon  int64   `json:"twin_anon_bytes"`
	Anon      int64   `json:"memstorm_anon_bytes"`
	Ratio     float64 `json:"ratio"` // memstorm / twin
	Within    bool    `json:"within"`
}

// twinSteps writes a scenario as twin steps, one per phase; false when a
// twin cannot do what it does.
func twinSteps(sc *scenarios.Scenario) ([]cref.Step, bool, error) {
	if sc.Workers > 1 || sc.Processes > 1 || sc.Rlimits != nil || len(sc.Mallopt) > 0 {
		return nil, false, nil
	}
	var out []cref.Step
	for _, st := range sc.Steps() {
		ph := st.Phase
		switch {
		case ph.Allocate != nil:
			a := st.ScaledAllocate()
			u := a.Until
			if a.Via != scenarios.ViaMalloc || u.Duration > 0 || u.Limit > 0 || u.OOM || u.ENOMEM {
				return nil, false, nil
			}
			spec, err := worker.FillSpec(a)
			if err != nil {
				return nil, false, err
			}
			bytes := int64(u.Bytes)
			switch {
			case bytes > 0 && u.Count == 0:
			case bytes == 0 && u.Count > 0 && a.Size.Dist == scenarios.DistFixed:
				bytes = u.Count * int64(a.Size.Value) // exactly Count objects
			default:
				return nil, false, nil
			}
			if spec.Touch {
				out = append(out, cref.Fill(bytes, spec.Dist))
			} else {
				out = append(out, cref.FillUntouched(bytes, spec.Dist))
			}
		case ph.Free != nil:
			if ph.Free.Among != scenarios.AmongAll || (ph.Free.By != "" && ph.Free.By != scenarios.BySelf) {
				return nil, false, nil
			}
			sel, err := worker.Selection(ph.Free.Selection, sc.Seed)
			if err != nil {
				return nil, false, err
			}
			out = append(out, cref.Free(sel))
		case ph.Trim:
			out = append(out, cref.Trim())
		case ph.Hold > 0:
			out = append(out, cref.Hold(ph.Hold.D()))
		default:
			return nil, false, nil
		}
	}
	return out, true, nil
}

// Fidelity runs each of names at scale under each allocator, through
// memstorm (its run directories below runsDir) and through its twin, and
// returns a row per phase end. twinBin is the program cref.Build made.
func Fidelity(ctx context.Context, names, allocs []string, scale float64, runsDir, twinBin, executable string) ([]FidelityRow, error) {
	var rows []FidelityRow
	for _, name := range names {
		for _, a := range allocs {
			sc, err := scenarios.Load(name)
			if err != nil {
				return nil, err
			}
			sc.Scale(scale)
			steps, ok, err := twinSteps(sc)
			if err != nil || !ok {
				return nil, fmt.Errorf("fidelity: %s has no C twin (%v)", name, err)
			}
			choice, err := allocators.Resolve(a)
			if err != nil {
				return nil, err
			}
			tw := cref.Twin{Bin: twinBin, Seed: sc.Seed, Steps: steps}
			if choice.Preload != "" {
				tw.Env = append(tw.Env, "LD_PRELOAD="+choice.Preload)
			}
			for k, v := range sc.Env {
				tw.Env = append(tw.Env, k+"="+v)
			}
			twin, err := tw.Run(ctx)
			if err != nil {
				return nil, err
			}
			plan, err := stress.Prepare(sc, stress.Options{Dir: filepath.Join(runsDir, name+"-"+a), Allocator: a, Executable: executable})
			if err != nil {
				return nil, err
			}
			sum, err := plan.Run(ctx)
			if err != nil {
				return nil, err
			}
			if sum.Outcome != rundir.OutcomeCompleted || len(sum.Phases) != len(twin.Phases) {
				return nil, fmt.Errorf("fidelity: %s under %s: outcome %s (%s), %d phases for the twin's %d", name, a, sum.Outcome, sum.Reason, len(sum.Phases), len(twin.Phases))
			}
			for i, p := range sum.Phases {
				r := FidelityRow{Scenario: name, Allocator: a, Phase: p.Name, TwinAnon: twin.Phases[i].Anon, Anon: p.AnonBytes}
				r.Ratio = float64(r.Anon) / float64(max(r.TwinAnon, 1))
				r.Within = math.Abs(float64(r.Anon-r.TwinAnon)) <= max(FidelityTolerance*float64(r.TwinAnon), FidelityFloorBytes)
				rows = append(rows, r)
			}
		}
	}
	return rows, nil
}

// FormatFidelity writes the rows as a markdown table.
func FormatFidelity(rows []FidelityRow) string {
	var b strings.Builder
	b.WriteString("| scenario | allocator | phase end | twin anon | memstorm anon | ratio | within |\n|---|---|---|---:|---:|---:|---|\n")
	mib := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
	for _, r := range rows {
		w := "yes"
		if !r.Within {
			w = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.2f | %s |\n", r.Scenario, r.Allocator, r.Phase, mib(r.TwinAnon), mib(r.Anon), r.Ratio, w)
	}
	return b.String()
}
