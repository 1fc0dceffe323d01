// Package report owns what a run leaves behind and how a person reads it.
//
// A run directory holds samples.csv (one rundir.Sample a row, written as it is
// taken), events.jsonl (one rundir.Event a line), summary.json (the rundir.Summary),
// scenario.yaml (the scenario text), the figures memory, fragmentation and
// activity as PNG and SVG, and report.html, one self-contained page with the
// figures inline. Render (re)builds the figures and the page from the files;
// Compare puts several runs side by side.
//
// Recorded series satisfy gonum's plotter.XYer without copying; long runs
// are drawn as a per-pixel-column min/max envelope so that a million
// samples neither hide a peak nor make a huge SVG.
package report
