package scenarios

import (
	"fmt"

	"github.com/goccy/go-yaml"
)

// YAML writes the scenario as it stands (scaled, defaults filled in) in
// the form Parse reads back to the same scenario: what a run directory's
// scenario.yaml holds when the run did not use the file's own text.
func (s *Scenario) YAML() ([]byte, error) {
	b, err := yaml.MarshalWithOptions(s, yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, fmt.Errorf("writing scenario %s as YAML: %w", s.Name, err)
	}
	return b, nil
}

// The marshalers write sizes, percentages and durations as the scenario
// grammar spells them ("4KiB", "95%", "20ms"); zero values are left out by
// the omitempty of the generic encoder where the field allows it.

// MarshalYAML writes a size exactly ("4KiB", "1.5MiB").
func (s Size) MarshalYAML() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML writes a percentage with its sign ("95%").
func (p Percent) MarshalYAML() ([]byte, error) { return []byte(`"` + p.String() + `"`), nil }

// MarshalYAML writes a duration in Go syntax ("20ms").
func (d Duration) MarshalYAML() ([]byte, error) { return []byte(d.String()), nil }
