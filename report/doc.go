// Package report draws a recorded run and renders it for a person: the
// figures memory, fragmentation and activity as PNG and SVG, and
// report.html, one self-contained page with the figures inline. Render
// (re)builds them from a run directory (read through package rundir);
// Compare puts several runs side by side.
//
// Recorded series satisfy gonum's plotter.XYer without copying; long runs
// are drawn as a per-pixel-column min/max envelope so that a million
// samples neither hide a peak nor make a huge SVG.
package report
