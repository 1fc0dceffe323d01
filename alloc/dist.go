package alloc

/*
#include "ops.h"
*/
import "C"

import (
	"fmt"
	"math"
)

// DistKind selects the size distribution of a Fill.
type DistKind int

// Size distributions. Every sampled size is at least 1 byte.
const (
	// Fixed always yields Value.
	Fixed DistKind = C.MS_DIST_FIXED
	// Uniform yields Min..Max inclusive, uniformly.
	Uniform DistKind = C.MS_DIST_UNIFORM
	// Lognormal yields Median*exp(Sigma*N(0,1)), rounded and clamped to
	// Min..Max (Min 0 is taken as 1).
	Lognormal DistKind = C.MS_DIST_LOGNORMAL
	// Pareto yields Min/U^(1/Alpha) (Min is the scale), clamped to Max.
	Pareto DistKind = C.MS_DIST_PARETO
	// Histogram yields Sizes[i] with probability Weights[i]/sum(Weights).
	Histogram DistKind = C.MS_DIST_HISTOGRAM
)

// MaxSize is the largest object size a distribution may yield (64 PiB): far
// beyond any machine, so a request of that order exercises the ENOMEM path
// without overflowing page rounding.
const MaxSize = int64(1) << 56

// String returns a short lower-case name for logs and reports.
func (k DistKind) String() string {
	switch k {
	case Fixed:
		return "fixed"
	case Uniform:
		return "uniform"
	case Lognormal:
		return "lognormal"
	case Pareto:
		return "pareto"
	case Histogram:
		return "histogram"
	}
	return fmt.Sprintf("DistKind(%d)", int(k))
}

// Dist describes object sizes in bytes. Which fields matter depends on Kind;
// the others are ignored.
type Dist struct {
	Kind                    DistKind
	Value, Min, Max, Median int64
	Sigma, Alpha            float64
	Sizes                   []int64
	Weights                 []float64
}

// Bounds returns the smallest and largest size d can yield; it assumes d is valid.
func (d Dist) Bounds() (lo, hi int64) {
	switch d.Kind {
	case Fixed:
		return d.Value, d.Value
	case Lognormal:
		return max(d.Min, 1), d.Max
	case Histogram:
		lo, hi = math.MaxInt64, 0
		for i, s := range d.Sizes {
			if d.Weights[i] > 0 {
				lo, hi = min(lo, s), max(hi, s)
			}
		}
		return lo, hi
	}
	return d.Min, d.Max
}

func inSize(v int64) bool { return v >= 1 && v <= MaxSize }

// compile validates d and converts it; cum holds the cumulative histogram weights.
func (d Dist) compile() (cd C.ms_dist, cum []float64, err error) {
	bad := func(format string, a ...any) (C.ms_dist, []float64, error) {
		return cd, nil, fmt.Errorf("alloc: %v distribution: "+format, append([]any{d.Kind}, a...)...)
	}
	cd.kind = C.int(d.Kind)
	cd.value, cd.min, cd.max, cd.median = C.int64_t(d.Value), C.int64_t(d.Min), C.int64_t(d.Max), C.int64_t(d.Median)
	cd.sigma, cd.alpha = C.double(d.Sigma), C.double(d.Alpha)
	switch d.Kind {
	case Fixed:
		if !inSize(d.Value) {
			return bad("Value %d outside 1..%d", d.Value, MaxSize)
		}
	case Uniform:
		if !inSize(d.Min) || !inSize(d.Max) || d.Min > d.Max {
			return bad("need 1 <= Min <= Max <= %d, have Min %d Max %d", MaxSize, d.Min, d.Max)
		}
	case Lognormal:
		lo := max(d.Min, 1)
		cd.min = C.int64_t(lo)
		if !inSize(d.Median) || !(d.Sigma >= 0) || !inSize(d.Max) || lo > d.Max {
			return bad("need Median >= 1, Sigma >= 0, max(Min,1) <= Max <= %d; have Median %d Sigma %g Min %d Max %d",
				MaxSize, d.Median, d.Sigma, d.Min, d.Max)
		}
	case Pareto:
		if !inSize(d.Min) || !inSize(d.Max) || d.Min > d.Max || !(d.Alpha > 0) {
			return bad("need 1 <= Min <= Max <= %d and Alpha > 0; have Min %d Max %d Alpha %g", MaxSize, d.Min, d.Max, d.Alpha)
		}
	case Histogram:
		if len(d.Sizes) == 0 || len(d.Sizes) != len(d.Weights) {
			return bad("need as many Weights as Sizes (at least one), have %d and %d", len(d.Sizes), len(d.Weights))
		}
		cum = make([]float64, len(d.Weights))
		var sum float64
		for i, w := range d.Weights {
			if !inSize(d.Sizes[i]) || !(w >= 0) || math.IsInf(w, 0) {
				return bad("bin %d: size %d weight %g", i, d.Sizes[i], w)
			}
			sum += w
			cum[i] = sum
		}
		if !(sum > 0) {
			return bad("weights sum to %g", sum)
		}
		for i := range cum {
			cum[i] /= sum
		}
		// The last weighted bin ends at exactly 1 (same sum divided by itself),
		// so every draw in [0,1) finds a bin and zero-weight bins are never hit.
		cd.nsizes = C.int64_t(len(cum))
	default:
		return bad("unknown kind")
	}
	return cd, cum, nil
}
