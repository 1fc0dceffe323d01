// Package record runs a program under memstorm's recording shim and turns
// what the shim wrote into a trace (package trace).
//
// The shim (shimsrc/preload.c) ships as C source embedded in the memstorm
// binary and is compiled with the system C compiler into the recording's
// temporary directory at each use (about 0.1 s). Why not a committed .so or
// a cgo build: cgo links C into memstorm itself, never into a separate
// shared object, and plain `go build` cannot produce one; a committed binary
// would be an unreviewable blob. Building memstorm already needs a C
// compiler (cgo), so the machine that built it can record; a host without
// cc gets one clear error naming the compiler.
//
// The shim appends fixed 40-byte records to a file through shared mappings,
// each thread into blocks of slots of its own, stamped with the CPU's
// time-stamp counter (raw.go reads them, merge.go merges the threads'
// blocks by stamp); the conversion to the compact trace, with addresses
// mapped to recycled ids and the RSS samples merged in by time, happens
// after the program exits, so the program pays only for the records.
package record
