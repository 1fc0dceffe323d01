// Package wire is what the supervisor and its workers share: the worker's
// start (Spec, the file descriptors it inherits, the environment variable
// that makes a process a worker), the messages it sends (protocol.go) and
// the status page both map (statuspage.go), which the sampling thread of
// package sample also reads.
package wire
