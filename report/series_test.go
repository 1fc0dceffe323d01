package report

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"gonum.org/v1/plot/plotter"
)

func TestEnvelopeKeepsExtremesAndBoundsPoints(t *testing.T) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(7, 7))
	xys := make(plotter.XYs, n)
	gmin, gmax := math.Inf(1), math.Inf(-1)
	for i := range xys {
		y := rng.NormFloat64()
		if i == 123457 {
			y = 50 // a one-sample spike
		}
		if i == 876543 {
			y = -40
		}
		xys[i] = plotter.XY{X: float64(i) / 1000, Y: y}
		gmin, gmax = min(gmin, y), max(gmax, y)
	}
	for _, cols := range []int{1, 7, 700, 1920} {
		env := Envelope(xys, 0, xys[n-1].X, cols)
		if len(env) > 2*cols {
			t.Errorf("%d columns: %d points, want at most %d", cols, len(env), 2*cols)
		}
		emin, emax := math.Inf(1), math.Inf(-1)
		for i, p := range env {
			emin, emax = min(emin, p.Y), max(emax, p.Y)
			if i > 0 && p.X < env[i-1].X {
				t.Fatalf("%d columns: x goes back at %d", cols, i)
			}
		}
		if emin != gmin || emax != gmax {
			t.Errorf("%d columns: envelope range [%g, %g], want the global [%g, %g]", cols, emin, emax, gmin, gmax)
		}
	}
}

func TestEnvelopeGapsAndSmallInput(t *testing.T) {
	// live == 0 in the middle makes RSS/live undefined: the envelope must
	// keep one gap there, not join the two sides.
	var s []rundir.Sample
	for i := 0; i < 300; i++ {
		x := rundir.AbsentSample(float64(i))
		x.RSS, x.Live = 100, 50
		if i >= 100 && i < 200 {
			x.Live = 0
		}
		s = append(s, x)
	}
	env := Envelope(Series{Samples: s, Metric: MetricFragRSS}, 0, 299, 30)
	gaps := 0
	for _, p := range env {
		if math.IsNaN(p.Y) {
			gaps++
		} else if p.Y != 2 {
			t.Errorf("ratio %g, want 2", p.Y)
		}
	}
	if gaps != 1 {
		t.Errorf("%d gap points, want 1 for one undefined stretch: %v", gaps, env)
	}
	// Fewer points than columns pass through unchanged.
	small := plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 3}, {X: 2, Y: 2}}
	if got := Envelope(small, 0, 2, 100); len(got) != 3 {
		t.Errorf("3 points in 100 columns became %v", got)
	}
}

func TestRateFromCumulativeCounters(t *testing.T) {
	s := []rundir.Sample{rundir.AbsentSample(0), rundir.AbsentSample(0.5), rundir.AbsentSample(1.5), rundir.AbsentSample(2)}
	for i, v := range []int64{0, 1 << 20, 3 << 20, 1 << 20} { // the last goes backwards: a reset
		s[i].AllocBytes = v
	}
	r := Rate{Samples: s, Counter: CounterAlloc}
	want := []float64{2 << 20, 2 << 20, math.NaN()}
	if r.Len() != len(want) {
		t.Fatalf("Len %d, want %d", r.Len(), len(want))
	}
	for i, w := range want {
		x, y := r.XY(i)
		if x != s[i+1].T || !(y == w || math.IsNaN(w) && math.IsNaN(y)) {
			t.Errorf("point %d = (%g, %g), want (%g, %g)", i, x, y, s[i+1].T, w)
		}
	}
}

// TestRateOverAbsentSamples: fault counts come every few samples; a rate
// point spans back to the last sample that has the counter, and a sample
// without it is a gap, not a zero rate.
func TestRateOverAbsentSamples(t *testing.T) {
	var s []rundir.Sample
	for i, v := range []int64{100, -1, -1, 400, -1, 700} {
		x := rundir.AbsentSample(float64(i) * 0.01)
		x.MinFlt = v
		s = append(s, x)
	}
	r := Rate{Samples: s, Counter: CounterMinFlt}
	nan := math.NaN()
	want := []float64{nan, nan, 300 / 0.03, nan, 300 / 0.02}
	for i, w := range want {
		_, y := r.XY(i)
		if !(math.Abs(y-w) < 1e-6 || math.IsNaN(w) && math.IsNaN(y)) {
			t.Errorf("point %d = %g, want %g", i, y, w)
		}
	}
}
