package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/rundir/rundirtest"
)

// TestCompareMatrix: runs of two scenarios under two allocators get a
// matrix in compare.json, compare.html and matrix.md, with an empty cell
// for the pair that did not run; runs of one scenario get none.
func TestCompareMatrix(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for _, run := range []struct{ scenario, allocator string }{
		{"every-other", "glibc"}, {"every-other", "jemalloc"}, {"ratchet", "glibc"},
	} {
		d := filepath.Join(root, run.scenario+"-"+run.allocator)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		sum := rundirtest.WriteSynthetic(t, d, 400, 10)
		sum.Scenario, sum.Allocator.Name = run.scenario, run.allocator
		for i := range sum.Phases { // the synthetic samples' anon, which its summary leaves out
			sum.Phases[i].AnonBytes = sum.Phases[i].RSSBytes - 4*mib
		}
		if err := rundir.WriteSummary(filepath.Join(d, rundir.SummaryFile), sum); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	out := filepath.Join(root, "cmp")
	if err := Compare(out, dirs, ""); err != nil {
		t.Fatal(err)
	}
	var c Comparison
	js, err := os.ReadFile(filepath.Join(out, "compare.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &c); err != nil {
		t.Fatal(err)
	}
	m := c.Matrix
	if m == nil {
		t.Fatal("compare.json has no matrix for 2 scenarios x 2 allocators")
	}
	if strings.Join(m.Scenarios, ",") != "every-other,ratchet" || strings.Join(m.Allocators, ",") != "glibc,jemalloc" {
		t.Fatalf("matrix axes %v x %v, want every-other,ratchet x glibc,jemalloc", m.Scenarios, m.Allocators)
	}
	if m.Cells[1][1] != nil {
		t.Errorf("ratchet under jemalloc did not run, cell = %+v, want null", m.Cells[1][1])
	}
	cell := m.Cells[0][0]
	if cell == nil || cell.Dir != dirs[0] || cell.TrimPhase != "trim" || cell.LastPhase != "free-all" {
		t.Fatalf("every-other/glibc cell %+v, want its run with trim phase 'trim' and last phase 'free-all'", cell)
	}
	if cell.FragRSS != nil || cell.FragAnon != nil {
		t.Errorf("nothing is live at the end, fragmentation = %v, %v, want null", cell.FragRSS, cell.FragAnon)
	}
	if cell.PeakRSSBytes != c.Runs[0].PeakRSSBytes {
		t.Errorf("cell peak %d, run table peak %d: want the same", cell.PeakRSSBytes, c.Runs[0].PeakRSSBytes)
	}
	html, err := os.ReadFile(filepath.Join(out, "compare.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<table id="matrix">`, `<tr class="scenario"><td class="label">ratchet</td>`, `id="fig-compare-matrix-fragmentation"`, "trim returned"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("compare.html lacks %q", want)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, MatrixFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| scenario | glibc | jemalloc |", "| ratchet |", "share of anon returned by trim:"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("%s lacks %q:\n%s", MatrixFile, want, md)
		}
	}

	one := filepath.Join(root, "one")
	if err := Compare(one, dirs[:2], ""); err != nil {
		t.Fatal(err)
	}
	js, _ = os.ReadFile(filepath.Join(one, "compare.json"))
	if strings.Contains(string(js), `"matrix"`) {
		t.Error("one scenario under two allocators got a matrix, want none")
	}
	if _, err := os.Stat(filepath.Join(one, MatrixFile)); !os.IsNotExist(err) {
		t.Errorf("%s written for one scenario (stat: %v)", MatrixFile, err)
	}
}

// TestMatrixCell: the figures at the last phase end, and the share of the
// anonymous RSS at the trim phase's start that it returned.
func TestMatrixCell(t *testing.T) {
	r := &Run{rundir.Run{Dir: "x", Summary: rundir.Summary{Outcome: rundir.OutcomeCompleted, Phases: []rundir.PhaseSummary{
		{Name: "fill", EndS: 1, RSSBytes: 300 * mib, AnonBytes: 280 * mib, LiveBytes: 256 * mib},
		{Name: "punch", StartS: 1, EndS: 2, RSSBytes: 300 * mib, AnonBytes: 280 * mib, LiveBytes: 128 * mib},
		{Name: "trim", StartS: 2, EndS: 3, RSSBytes: 230 * mib, AnonBytes: 210 * mib, LiveBytes: 128 * mib},
		{Name: "observe", StartS: 3, EndS: 4, RSSBytes: 276 * mib, AnonBytes: 256 * mib, LiveBytes: 128 * mib},
	}}, Events: []rundir.Event{{T: 2.5, Kind: rundir.EventTrim, Phase: "trim"}}}}
	c := matrixCell(r, 310*mib)
	if c.LastPhase != "observe" || c.LastRSSBytes != 276*mib || c.PeakRSSBytes != 310*mib {
		t.Errorf("cell %+v, want the observe phase's figures and the given peak", c)
	}
	if c.FragRSS == nil || *c.FragRSS < 2.156 || *c.FragRSS > 2.157 || c.FragAnon == nil || *c.FragAnon != 2 {
		t.Errorf("RSS/live %v, anon/live %v, want 276/128 and 2", c.FragRSS, c.FragAnon)
	}
	if c.TrimPhase != "trim" || c.TrimShare == nil || *c.TrimShare != 0.25 {
		t.Errorf("trim %q returned %v, want 70 of 280 MiB = 0.25", c.TrimPhase, c.TrimShare)
	}
	r.Events = nil
	if c := matrixCell(r, 0); c.TrimShare != nil || c.TrimPhase != "" {
		t.Errorf("no trim event: trim %q %v, want none", c.TrimPhase, c.TrimShare)
	}
}

// TestMatrixMarkdownEscapesNames: scenario and allocator names come from
// summary.json, which anyone can edit; in matrix.md they are text, never
// table structure, code, links, emphasis or HTML.
func TestMatrixMarkdownEscapesNames(t *testing.T) {
	root := t.TempDir()
	hostile := []struct{ scenario, allocator string }{
		{"evil | x |\n| injected | row |", "glibc"},
		{"<script>alert(1)</script>", "`rm -rf /`*bold*"},
		{"evil | x |\n| injected | row |", "`rm -rf /`*bold*"},
		{"[link](http://example.com) &amp; \\|", "glibc"},
	}
	var dirs []string
	for i, h := range hostile {
		d := filepath.Join(root, "run"+string(rune('a'+i)))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		sum := rundirtest.WriteSynthetic(t, d, 100, 5)
		sum.Scenario, sum.Allocator.Name = h.scenario, h.allocator
		if err := rundir.WriteSummary(filepath.Join(d, rundir.SummaryFile), sum); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	out := filepath.Join(root, "cmp")
	if err := Compare(out, dirs, ""); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, MatrixFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		`| scenario | glibc | \` + "`" + `rm \-rf /\` + "`" + `\*bold\* |`,
		`| evil \| x \| \| injected \| row \| |`,
		`| \<script\>alert(1)\</script\> |`,
		`| \[link\](http://example.com) \&amp; \\\| |`,
	} {
		want = strings.ReplaceAll(want, `\-`, "-")
		if !strings.Contains(md, want) {
			t.Errorf("%s lacks %q:\n%s", MatrixFile, want, md)
		}
	}
	// Every table line has the pipes of its columns and no more: a pipe
	// not preceded by a backslash is structure.
	unescaped := regexp.MustCompile(`(^|[^\\])((\\\\)*)\|`)
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if n := len(unescaped.FindAllStringIndex(line, -1)); n != 4 {
			t.Errorf("line %d has %d structural pipes, want 4 (3 columns): %q", i+1, n, line)
		}
	}
	for _, c := range "<>`*[]&" {
		raw := regexp.MustCompile(`(^|[^\\])((\\\\)*)` + regexp.QuoteMeta(string(c)))
		if raw.MatchString(md) {
			t.Errorf("%s holds %q unescaped: %q", MatrixFile, c, raw.FindString(md))
		}
	}
}
