// Package trace is memstorm's allocation trace: the event model, a compact
// binary writer and a strict reader.
//
// A trace is the allocation stream of one process: every malloc-family call
// and anonymous mmap/munmap with its thread, time, size and alignment, and
// an object id in place of the pointer. Ids are recycled (a freed object's
// id goes to the next allocation), so a replay needs a table as large as the
// most objects ever live at once, never address equality. Samples of the
// recorded program's resident memory ride in the same stream, so the
// original curve can be drawn beside a replay.
//
// The encoding (format.go) averages well under 16 bytes per event: one tag
// byte, varint deltas of time, thread ids only when the thread changes, and
// small recycled ids. The reader refuses anything the writer cannot produce
// (an unknown tag, a free of an id not live, a new id out of order, a
// missing end record) with one *FormatError naming the event and byte
// offset, in memory bounded by the input's own size.
package trace
