package report

import (
	"html/template"

	"gonum.org/v1/plot"
)

// What other packages' pages and figures (the fleet report) reuse of this
// one's: the house style of a panel, the style sheet and the way times are
// written.

// NewPanel returns a plot in the house style of the reports: sans text,
// the time axis ta over [xmin, xmax], the y axis labelled ylabel with
// yticks. Add a Grid to it for the light grid of the reports.
func NewPanel(ylabel string, yticks plot.Ticker, ta TimeAxis, xmin, xmax float64) *plot.Plot {
	return newPanel(ylabel, yticks, ta, xmin, xmax)
}

// Grid is the reports' light grid at the labelled ticks, drawn under the data.
func Grid() plot.Plotter { return grid{} }

// StyleSheet is the CSS of the reports' pages.
func StyleSheet() template.CSS { return template.CSS(reportCSS) }

// FormatSeconds writes a time in seconds with the precision its size
// needs, as the reports do ("0.012 s", "3600 s (1.0 h)").
func FormatSeconds(v float64) string { return formatSeconds(v) }
