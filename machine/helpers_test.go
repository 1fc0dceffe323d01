package machine

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memstorm/memstorm/rundir"
)

func cmpMachine(want, got rundir.Machine) string { return cmp.Diff(want, got) }

// readCase reads a fixture below testdata/.
func readCase(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
