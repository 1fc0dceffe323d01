package bench

import "sort"

// Spread is what the repetitions of one figure gave: the median is the
// figure, min and max show how far one repetition can stray.
type Spread struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// spreadOf summarises xs; the zero Spread for none.
func spreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return Spread{Min: s[0], Median: median(s), Max: s[len(s)-1], N: len(s)}
}

// median returns the median of xs (the mean of the middle two for even n).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// pairs holds the repetitions of a side-by-side measurement.
type pairs struct {
	ratios, refs, ours []float64
}

// sideBySide runs ref and ours reps times each after one discarded warm-up
// pair, alternating which goes first from one repetition to the next
// (ref-ours, ours-ref, ...), so that a drift of the machine (another
// helper's load, the CPU clock) falls on both sides alike.
func sideBySide(reps int, ref, ours func() (float64, error), ratio func(ref, ours float64) float64) (pairs, error) {
	var p pairs
	for i := -1; i < reps; i++ { // i == -1: one discarded warm-up pair
		var a, o float64
		var err error
		if i%2 == 0 || i < 0 {
			if a, err = ref(); err == nil {
				o, err = ours()
			}
		} else {
			if o, err = ours(); err == nil {
				a, err = ref()
			}
		}
		if err != nil {
			return p, err
		}
		if i >= 0 {
			p.ratios, p.refs, p.ours = append(p.ratios, ratio(a, o)), append(p.refs, a), append(p.ours, o)
		}
	}
	return p, nil
}
