// Package rundir owns the format of a run directory, written by the
// supervisor (package stress) and read by package report:
//
//	samples.csv     one Sample a row, written as it is taken (csv.go, csv_read.go)
//	events.jsonl    one Event a line (events.go)
//	summary.json    the Summary (summary.go, files.go)
//	scenario.yaml   the scenario text as it ran
//	worker.log      the worker's standard error (worker-N.log for several)
//
// Dir (dir.go) creates the directory and every file in it without
// following or overwriting anything that was there. Figures and
// report.html are package report's.
package rundir
