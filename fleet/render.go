package fleet

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/units"
)

// Files a fleet report writes into its directory (and fleet-SCENARIO.svg
// and .png per scenario).
const (
	HTMLFile     = "fleet.html"
	MarkdownFile = "fleet.md"
	JSONFile     = "fleet.json"
)

//go:embed fleet.html.tmpl
var pageTemplate string

var pageTmpl = template.Must(template.New("fleet").Funcs(template.FuncMap{
	"css": report.StyleSheet,
	"cell": func(f *Fleet, n *Node, c int) template.HTML {
		return template.HTML(strings.Join(f.cellText(n, c, true), "<br>"))
	},
	"pct":  pct,
	"secs": secs,
}).Parse(pageTemplate))

// page is what fleet.html.tmpl is executed with.
type page struct {
	F       *Fleet
	Figures []template.HTML
	Bad     []Row
}

// Write writes the fleet report into dir (which exists): fleet.json,
// fleet.md, fleet.html and one overlay figure per scenario.
func (f *Fleet) Write(dir string) error {
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("encoding %s: %w", JSONFile, err)
	}
	if err := rundir.WriteFileAtomic(filepath.Join(dir, JSONFile), js.Bytes()); err != nil {
		return err
	}
	pg := page{F: f}
	var md bytes.Buffer
	f.writeMarkdown(&md)
	for _, sc := range f.Scenarios() {
		fig := f.Figure(sc)
		if fig == nil {
			continue
		}
		var svg, png bytes.Buffer
		if err := fig.WriteSVG(&svg); err != nil {
			return err
		}
		if err := fig.WritePNG(&png); err != nil {
			return err
		}
		for _, out := range []struct {
			ext string
			b   []byte
		}{{".svg", svg.Bytes()}, {".png", png.Bytes()}} {
			if err := rundir.WriteFileAtomic(filepath.Join(dir, fig.Name+out.ext), out.b); err != nil {
				return err
			}
		}
		pg.Figures = append(pg.Figures, report.InlineSVG(svg.Bytes()))
		fmt.Fprintf(&md, "\n![%s](%s.png)\n", fig.Title, fig.Name)
	}
	if err := rundir.WriteFileAtomic(filepath.Join(dir, MarkdownFile), md.Bytes()); err != nil {
		return err
	}
	for _, r := range f.Rows {
		if r.Verdict != VerdictPass {
			pg.Bad = append(pg.Bad, r)
		}
	}
	var html bytes.Buffer
	if err := pageTmpl.Execute(&html, pg); err != nil {
		return fmt.Errorf("rendering %s: %w", HTMLFile, err)
	}
	return rundir.WriteFileAtomic(filepath.Join(dir, HTMLFile), html.Bytes())
}

// Scenarios lists the scenarios of the fleet's columns, in order.
func (f *Fleet) Scenarios() []string {
	var out []string
	for _, c := range f.Cells {
		if len(out) == 0 || out[len(out)-1] != c.Scenario {
			out = append(out, c.Scenario)
		}
	}
	return out
}

// cellText is one line per run of node n in column c: the verdict, the
// peak usage over the limit, and the time to the first OOM kill.
func (f *Fleet) cellText(n *Node, c int, html bool) []string {
	var out []string
	for _, i := range n.ByCell[c] {
		r := &f.Rows[i]
		v := string(r.Verdict)
		if html {
			v = `<span class="` + verdictClass(r.Verdict) + `">` + template.HTMLEscapeString(v) + `</span>`
		} else if r.Verdict != VerdictPass {
			v = "**" + strings.ToUpper(v) + "**"
		}
		parts := []string{v}
		if r.PeakShare != nil {
			parts = append(parts, pct(r.PeakShare)+" of limit")
		} else if units.Known(r.PeakUsageBytes) {
			parts = append(parts, "peak "+units.FormatBytes(r.PeakUsageBytes))
		}
		if r.TimeToKillS != nil {
			parts = append(parts, "killed at "+secs(r.TimeToKillS))
		}
		if r.K8sExitCode != nil {
			parts = append(parts, fmt.Sprintf("Kubernetes: exit %d, %s", *r.K8sExitCode, r.K8sReason))
		}
		out = append(out, strings.Join(parts, ", "))
	}
	if len(out) == 0 {
		out = []string{"–"}
	}
	return out
}

func verdictClass(v Verdict) string {
	if v == VerdictPass {
		return "pass"
	}
	return "fail"
}

// pct writes a share as a percentage; "–" for none.
func pct(p *float64) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(100**p, 'f', 1, 64) + "%"
}

// secs writes a time; "–" for none.
func secs(p *float64) string {
	if p == nil {
		return "–"
	}
	return report.FormatSeconds(*p)
}

// writeMarkdown writes the verdict table and the runs that did not pass.
func (f *Fleet) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# memstorm fleet report\n\n%d bundles, %d nodes, %d runs: %d pass, %d fail, %d error, %d killed with the container, %d incomplete.",
		f.Bundles, len(f.Nodes), len(f.Rows), f.Verdicts[VerdictPass], f.Verdicts[VerdictFail], f.Verdicts[VerdictError], f.Verdicts[VerdictKilled], f.Verdicts[VerdictIncomplete])
	if f.Duplicates > 0 {
		fmt.Fprintf(w, " Copies found again: %d (a results directory holds a bundle and its tarball), each counted once.", f.Duplicates)
	}
	if f.Worst != "" {
		fmt.Fprintf(w, " Worst node: **%s**.", f.Worst)
	}
	fmt.Fprint(w, "\n\nEach cell: the verdict, the cgroup's peak usage over its limit (at an OOM kill, the share at the kill), the time of the first OOM kill from the worker's start.\n\n| node | kernel | cgroup |")
	for _, c := range f.Cells {
		fmt.Fprintf(w, " %s / %s |", mdEscape(c.Scenario), mdEscape(c.Allocator))
	}
	fmt.Fprint(w, "\n|---|---|---|")
	for range f.Cells {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, n := range f.Nodes {
		name := mdEscape(n.Name)
		if n.Worst {
			name = "**" + name + "** (worst)"
		}
		fmt.Fprintf(w, "| %s | %s | v%d |", name, mdEscape(n.Kernel), n.Cgroup)
		for c := range f.Cells {
			fmt.Fprintf(w, " %s |", strings.Join(f.cellText(n, c, false), "<br>"))
		}
		fmt.Fprintln(w)
	}
	first := true
	for _, r := range f.Rows {
		if r.Verdict == VerdictPass {
			continue
		}
		if first {
			fmt.Fprint(w, "\n## Runs that did not pass\n\n")
			first = false
		}
		fmt.Fprintf(w, "- %s, %s / %s (%s): %s", mdEscape(r.Node), mdEscape(r.Scenario), mdEscape(r.Allocator), r.Verdict, mdEscape(string(r.Outcome)))
		if r.Reason != "" && r.Outcome != "" {
			fmt.Fprint(w, ", ")
		}
		if r.Reason != "" {
			fmt.Fprint(w, mdEscape(r.Reason))
		}
		for _, e := range r.Failed {
			fmt.Fprintf(w, "; failed: %s", mdEscape(e))
		}
		fmt.Fprintf(w, " [%s:%s]\n", mdEscape(r.Bundle), mdEscape(r.Run))
	}
}

// mdEscape keeps a value from breaking a Markdown table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`).Replace(s)
}
