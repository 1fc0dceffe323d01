// Package scenarios is memstorm's scenario model and its library of
// built-in scenarios.
//
// A scenario file is decoded strictly (decode.go: every error names the
// file, line and column), validated (validate*.go), and flattened into the
// steps a worker runs (steps.go, growth.go). Its expectations are parsed
// when the file is read (expect_grammar.go) and checked against a finished
// run's summary (expect.go). Load finds a scenario by file name or by the
// name of a built-in (embed.go: the *.yaml files beside this one).
package scenarios
