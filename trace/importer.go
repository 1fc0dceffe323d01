package trace

import "fmt"

// Imported is what an importer (trace/heaptrack, trace/mtrace) wrote, and
// what the source could not give.
type Imported struct {
	Format string
	Events uint64 // events written (the end record excluded)
	// Lost lists, in sentences, what the source format does not record
	// and the trace therefore lacks or guesses.
	Lost []string
	// UnknownFrees counts frees of blocks the source never showed
	// allocated (allocated before tracing began); they are left out.
	UnknownFrees uint64
	// Guessed counts frees whose object was chosen among several candidates
	// (heaptrack without -r names a free by its size and call site only).
	Guessed uint64
}

// LineError is a line of an imported text format that cannot be read.
type LineError struct {
	Format string
	Line   int64
	Msg    string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s line %d: %s", e.Format, e.Line, e.Msg) }
