package rundir

import "strings"

// A phase inside a repeated group is recorded once per repetition, as
// "name#1", "name#2", ...; the phase's own name stands for all of them.

// IsRunOf reports whether the recorded phase name is phase, or one of its
// repetitions.
func IsRunOf(recorded, phase string) bool {
	return recorded == phase || strings.HasPrefix(recorded, phase+"#")
}

// Phase returns the recorded phase named exactly name, or nil.
func (s *Summary) Phase(name string) *PhaseSummary {
	for i := range s.Phases {
		if s.Phases[i].Name == name {
			return &s.Phases[i]
		}
	}
	return nil
}

// LastRunOf returns the last recorded run of phase name (its last
// repetition, for a phase in a repeated group), or nil.
func (s *Summary) LastRunOf(name string) *PhaseSummary {
	var found *PhaseSummary
	for i := range s.Phases {
		if IsRunOf(s.Phases[i].Name, name) {
			found = &s.Phases[i]
		}
	}
	return found
}
