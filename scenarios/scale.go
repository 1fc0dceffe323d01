package scenarios

// Scale multiplies every byte quantity a scenario targets or limits (byte
// targets, the cgroup limits and the rlimits) by f, leaving object sizes,
// counts and durations alone, so that a scenario keeps its shape at another
// size: the tests run the built-ins at a few tens of MiB, and a user can
// try a big one small first (memstorm run --scale 0.1).
func (s *Scenario) Scale(f float64) {
	mul := func(v *Size) {
		if *v > 0 {
			*v = max(Size(float64(*v)*f), 1)
		}
	}
	var walk func(ps []Phase)
	walk = func(ps []Phase) {
		for i := range ps {
			if a := ps[i].Allocate; a != nil {
				mul(&a.Until.Bytes)
			}
			walk(ps[i].Phases)
		}
	}
	walk(s.Phases)
	if l := s.Limit; l != nil {
		mul(&l.Max)
		mul(&l.High)
		mul(&l.Swap)
	}
	if r := s.Rlimits; r != nil {
		mul(&r.AddressSpace)
		mul(&r.Data)
	}
}
