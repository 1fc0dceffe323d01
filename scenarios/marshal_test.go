package scenarios

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestYAMLRoundTrips: every built-in, scaled, written as YAML and parsed
// again is the same scenario: a run directory's scenario.yaml reproduces
// the run.
func TestYAMLRoundTrips(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			sc, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			sc.Scale(0.125)
			b, err := sc.YAML()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(name+".yaml", b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if diff := cmp.Diff(sc, back, cmpopts.IgnoreFields(Scenario{}, "Source", "Path")); diff != "" {
				t.Errorf("(-scaled +reread):\n%s\n%s", diff, b)
			}
		})
	}
}
