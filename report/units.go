package report

import (
	"math"

	"github.com/memstorm/memstorm/units"
	"gonum.org/v1/plot"
)

// niceStep is the 1-2-5 step (times a power of ten) that cuts span into
// about n intervals.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n < 1 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// unitTicks are major ticks at nice multiples, in unit, between lo and hi,
// labelled by label, with one minor tick between majors.
func unitTicks(lo, hi, unit float64, label func(float64) string) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: label(lo / unit)}}
	}
	step := niceStep((hi-lo)/unit, 5) * unit
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: label(v / unit)})
		if m := v + step/2; m <= hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	if first := math.Ceil(lo/step)*step - step/2; first >= lo {
		ticks = append(ticks, plot.Tick{Value: first})
	}
	return ticks
}

// ByteTicks labels a byte axis in KiB/MiB/GiB at 1-2-5 steps of the unit
// the axis's top calls for ("0", "128 MiB", "1.5 GiB").
type ByteTicks struct{}

// Ticks implements plot.Ticker.
func (ByteTicks) Ticks(lo, hi float64) []plot.Tick {
	name, size := units.ByteUnit(max(math.Abs(lo), math.Abs(hi)))
	return unitTicks(lo, hi, size, func(v float64) string {
		if v == 0 {
			return "0"
		}
		return units.TrimNum(v) + " " + name
	})
}

// RateTicks labels a bytes-per-second axis ("64 MiB/s").
type RateTicks struct{}

// Ticks implements plot.Ticker.
func (RateTicks) Ticks(lo, hi float64) []plot.Tick {
	t := ByteTicks{}.Ticks(lo, hi)
	for i := range t {
		if t[i].Label != "" && t[i].Label != "0" {
			t[i].Label += "/s"
		}
	}
	return t
}

// CountTicks labels a plain count axis with k/M/G suffixes ("20k", "1.5M").
type CountTicks struct{}

// Ticks implements plot.Ticker.
func (CountTicks) Ticks(lo, hi float64) []plot.Tick {
	m := max(math.Abs(lo), math.Abs(hi)) / 2
	unit, suffix := 1.0, ""
	switch {
	case m >= 1e9:
		unit, suffix = 1e9, "G"
	case m >= 1e6:
		unit, suffix = 1e6, "M"
	case m >= 1e3:
		unit, suffix = 1e3, "k"
	}
	return unitTicks(lo, hi, unit, func(v float64) string {
		if v == 0 {
			return "0"
		}
		return units.TrimNum(v) + suffix
	})
}

// TimeAxis is the unit a run's time axis is labelled in, chosen by the run's
// length: seconds up to 3 minutes, minutes up to 3 hours, hours beyond.
type TimeAxis struct {
	Unit string  // "s", "min" or "h"
	Size float64 // seconds per unit
}

// TimeAxisFor picks the unit for a run of d seconds.
func TimeAxisFor(d float64) TimeAxis {
	switch {
	case d > 3*3600:
		return TimeAxis{"h", 3600}
	case d > 180:
		return TimeAxis{"min", 60}
	}
	return TimeAxis{"s", 1}
}

// Label is the axis label.
func (a TimeAxis) Label() string { return "time (" + a.Unit + ")" }

// Ticks implements plot.Ticker; values stay in seconds.
func (a TimeAxis) Ticks(lo, hi float64) []plot.Tick {
	return unitTicks(lo, hi, a.Size, units.TrimNum)
}

// Format writes t seconds in the axis's unit ("2.5 min").
func (a TimeAxis) Format(t float64) string { return units.TrimNum(t/a.Size) + " " + a.Unit }

// RatioTicks labels a ratio axis ("1x", "2.5x"); on a log scale it puts
// majors at 1-2-5 decades.
type RatioTicks struct{ Log bool }

// Ticks implements plot.Ticker.
func (r RatioTicks) Ticks(lo, hi float64) []plot.Tick {
	label := func(v float64) string {
		if v == 0 {
			return "0"
		}
		return units.TrimNum(v) + "x"
	}
	if !r.Log {
		return unitTicks(lo, hi, 1, label)
	}
	var ticks []plot.Tick
	for d := math.Pow(10, math.Floor(math.Log10(lo))); d <= hi; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := m * d; v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: label(v)})
			}
		}
	}
	if len(ticks) < 2 {
		ticks = append(ticks, plot.Tick{Value: lo, Label: label(lo)}, plot.Tick{Value: hi, Label: label(hi)})
	}
	return ticks
}
