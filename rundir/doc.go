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
//
// LoadRun (load.go) reads a run directory as input that may have been
// edited, truncated or planted (input.go): every file is opened without
// following a symbolic link and must be a regular file, each is read within
// a bound (MaxSummaryBytes, MaxSampleLines, ...), and every fault is an
// InputError naming the file and the line. A directory with samples.csv but
// no summary.json (the supervisor was killed) loads as Incomplete.
package rundir
