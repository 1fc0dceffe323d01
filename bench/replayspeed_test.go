package bench

import (
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/trace"
)

func TestReplaySpeedTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.trace")
	if err := writeChurnTrace(path, 20000); err != nil {
		t.Fatal(err)
	}
	sum, err := trace.Scan(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 20000 || sum.PeakObjects != churnLive || sum.LiveObjects != churnLive {
		t.Errorf("churn trace %+v, want 20000 events and %d objects live throughout", sum, churnLive)
	}
	rate, err := replayOnce(path)
	if err != nil {
		t.Fatal(err)
	}
	if rate <= 0 {
		t.Errorf("replay rate %v, want a positive rate", rate)
	}
}
