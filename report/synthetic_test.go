package report

import (
	"os"
	"testing"

	"github.com/memstorm/memstorm/rundir/rundirtest"
)

const mib = 1 << 20

func TestSyntheticRender(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("MEMSTORM_REPORT_KEEP"); d != "" {
		dir = d
		os.MkdirAll(dir, 0o755)
	}
	rundirtest.WriteSynthetic(t, dir, 3000, 30)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
}
