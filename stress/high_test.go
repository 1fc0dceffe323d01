package stress

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
)

// TestHighThrottle runs high-throttle at a quarter (high 32 MiB, limit
// 64 MiB) and reads its high-throttle event. On cgroup v2 the kernel
// makes the worker sleep on every return to user space over memory.high
// (penalties up to 2 s each when nothing can be reclaimed, as anonymous
// memory without swap cannot), so allocation above high runs at well
// under half its rate below, and memory.events counts high events. On v1
// there is no memory.high: the event must say the high events are absent,
// and both rates are given (no throttle: no bound on their ratio is held,
// the load of a shared machine decides it).
func TestHighThrottle(t *testing.T) {
	requireMemcg(t)
	sc := loadScaled(t, "high-throttle", 0.25)
	dir := filepath.Join(t.TempDir(), "run")
	sum := runScenario(t, sc, Options{Dir: dir})
	checkShape(t, sum)
	f, err := os.Open(filepath.Join(dir, rundir.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := rundir.ReadEvents(f)
	if err != nil {
		t.Fatal(err)
	}
	var detail string
	for _, e := range evs {
		if e.Kind == EventHighThrottle {
			detail = e.Detail
		}
	}
	t.Logf("cgroup v%d: %s", sum.Cgroup.Version, detail)
	rates := regexp.MustCompile(`below it [^,]*/s .*above it .*/s .*ran at ([0-9.e+-]+) of its rate below`).FindStringSubmatch(detail)
	if rates == nil {
		t.Fatalf("the high-throttle event gives no two rates and their ratio: %q", detail)
	}
	if sum.Cgroup.Version == 1 {
		if !strings.Contains(detail, "high events absent: cgroup v1 has no memory.high") {
			t.Errorf("on v1 the event must say the high events are absent: %q", detail)
		}
		return
	}
	ratio, _ := strconv.ParseFloat(rates[1], 64)
	if ratio >= 0.5 {
		t.Errorf("above high, allocation ran at %.3g of its rate below, want under half", ratio)
	}
	n := regexp.MustCompile(`counted (\d+) high events`).FindStringSubmatch(detail)
	if n == nil || n[1] == "0" {
		t.Errorf("memory.events counted no high events: %q", detail)
	}
}
