package scenarios

// freeBy checks the keys of a free that say which objects it chooses from
// (among) and which thread frees them (by). prev is the phase before it in
// the same list.
func (c *checker) freeBy(f *Free, prev *Phase, p string) error {
	ap, bp := childPath(p, "among"), childPath(p, "by")
	switch f.Among {
	case AmongAll:
		if c.has(ap) {
			return c.errf(ap, "want among: %s (leave it out for every live object), got %q", AmongValues.Want(), f.Among)
		}
	case AmongLastAllocate:
		if prev == nil || prev.Allocate == nil {
			return c.errf(ap, "among: last-allocate needs an allocate phase right before this free, in the same list")
		}
		if prev.Allocate.Via == ViaGo {
			return c.errf(ap, "among: last-allocate cannot follow an allocate via go (the Go heap keeps its own object order)")
		}
	default:
		return c.errf(ap, "want among: %s, got %q", AmongValues.Want(), f.Among)
	}
	if f.By != "" && !ByValues.Has(f.By) { // "" is self
		return c.errf(bp, "want by: %s, got %q", ByValues.Want(), f.By)
	}
	return nil
}

// countTurnSteps is countSteps with turns groups run once per thread.
func countTurnSteps(ps []Phase, workers int) int64 {
	var n int64
	for i := range ps {
		if ps[i].Phases != nil {
			times := int64(max(ps[i].Repeat, 1))
			if ps[i].Turns {
				times = satMul(times, int64(max(workers, 1)))
			}
			n = satAdd(n, satMul(times, countTurnSteps(ps[i].Phases, workers)))
			continue
		}
		n = satAdd(n, 1)
	}
	return n
}
