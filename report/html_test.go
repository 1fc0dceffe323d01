package report

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/rundir/rundirtest"
)

func TestRenderReport(t *testing.T) {
	dir := t.TempDir()
	rundirtest.WriteSynthetic(t, dir, 3000, 30)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if strings.Contains(html, "http://") || strings.Contains(html, "https://") {
		t.Errorf("report.html references the network: %q", regexp.MustCompile(`https?://[^"' ]*`).FindString(html))
	}
	for _, bad := range []string{"<script", "<link", "<img", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html contains %q: it must be self-contained", bad)
		}
	}
	if n := strings.Count(html, `<svg class="fig"`); n != 3 {
		t.Errorf("%d inline figures, want 3", n)
	}
	if n := strings.Count(html, `<tr class="phase">`); n != 4 {
		t.Errorf("%d phase rows, want 4", n)
	}
	for _, want := range []string{
		`class="banner warn"`, "enomem", "malloc returned NULL at 256 MiB live", // outcome and reason
		"Allocated up to 256 MiB live by the end of &#39;fill&#39;", "freed half, RSS stayed at", // the story
		"returned 63.9 MiB to the kernel", "1 of 2 expectations held",
		"<td>punch-holes</td>", "320 MiB", "peak_rss &lt; 300MiB", `class="fail"`, "MALLOC_ARENA_MAX",
		"M_TRIM_THRESHOLD", "Synthetic CPU", "name: punch-holes", // tables, scenario, allocator, machine
		// the cgroup's counts, each by its source
		`<td class="num" id="oom-killed-processes">0 <small>(from their wait statuses`, `<td class="num" id="oom-counters">oom_kill 0 <small>`,
		"cgroup peak swap",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// A child cgroup made for the run: its lifetime is the run's, and the
	// absent oom_group_kill (v1) is not shown as a count.
	for _, bad := range []string{`id="lifetime-counters"`, "oom_group_kill", `id="swap-warning"`} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html of a v1 child-cgroup run without swap shows %q", bad)
		}
	}
	for _, f := range []string{"memory", "fragmentation", "activity"} {
		for _, ext := range []string{".png", ".svg"} {
			if st, err := os.Stat(filepath.Join(dir, f+ext)); err != nil || st.Size() < 1000 {
				t.Errorf("%s%s: %v", f, ext, err)
			}
		}
	}
}

func TestStoryOutcomes(t *testing.T) {
	r := loadSynthetic(t, 500, 30)
	for _, tc := range []struct {
		o    rundir.Outcome
		want string
	}{
		{rundir.OutcomeCompleted, "Every phase ran"},
		{rundir.OutcomeOOMKilled, "OOM killer killed the worker"},
		{rundir.OutcomeStoppedAtLimit, "stopped short of the cgroup limit"},
		{rundir.OutcomeHugeTLBLimit, "past the cgroup's hugetlb limit and the kernel sent the worker SIGBUS"},
		{rundir.OutcomeENOMEM, "ENOMEM at 11.9 s (cgroup limit 320 MiB"},
	} {
		r.Summary.Outcome = tc.o
		if s := r.Story(); !strings.Contains(s, tc.want) {
			t.Errorf("%s: story %q lacks %q", tc.o, s, tc.want)
		}
	}
}

// TestReport1MSamplesSize renders a run of a million samples: the envelope
// keeps every figure to a few thousand points, so the page stays small.
func TestReport1MSamplesSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and renders a million samples")
	}
	dir := t.TempDir()
	rundirtest.WriteSynthetic(t, dir, 1_000_000, 7200)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report.html with 1M samples: %d bytes", st.Size())
	if st.Size() > 2<<20 {
		t.Errorf("report.html is %d bytes, want under 2 MiB", st.Size())
	}
	// Over rundir.ReduceAboveBytes, the report draws the reduced samples
	// and says so, with the file's own count.
	b, err := os.ReadFile(filepath.Join(dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`id="reduced">(\d+) of 1000000:`).FindStringSubmatch(string(b)); m == nil {
		t.Errorf("report.html of 1M samples does not say it drew a reduction of them")
	}
	if !strings.Contains(string(b), `<td class="num">1000000`) {
		t.Errorf("report.html does not give the 1M samples as the count")
	}
}

func BenchmarkRender1M(b *testing.B) {
	dir := b.TempDir()
	rundirtest.WriteSynthetic(b, dir, 1_000_000, 7200)
	b.ResetTimer()
	for b.Loop() {
		if err := Render(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderIncomplete: a run directory without summary.json (the
// supervisor was SIGKILLed) renders its figures and report.html from what
// was recorded, under an "incomplete" banner and without an outcome.
func TestRenderIncomplete(t *testing.T) {
	src := filepath.Join("..", "rundir", "testdata", "rundirs", "incomplete")
	dir := t.TempDir()
	for _, f := range []string{rundir.SamplesFile, rundir.EventsFile, rundir.ScenarioFile} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{
		`<div class="banner warn" id="outcome">incomplete <span class="reason">— the supervisor did not finish (no summary.json): what was recorded until then</span></div>`,
		"<title>memstorm: every-other (incomplete)</title>",
		"not known: incomplete",
		"The record stops at 0.7 s: the supervisor did not finish (no summary.json), so how the run ended is not known.",
		"<td>observe</td>", // the phases, from the samples
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, bad := range []string{"expectations failed", `id="allocator"`, `id="machine"`} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html of an incomplete run shows %q", bad)
		}
	}
	if n := strings.Count(html, `<svg class="fig"`); n < 2 {
		t.Errorf("%d inline figures, want the recorded curves", n)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.SummaryFile)); !os.IsNotExist(err) {
		t.Errorf("rendering wrote a summary.json (%v): the record must stay as it was", err)
	}
}
