package trace

// The binary format, version 1.
//
//	file   = magic event* end
//	magic  = "MSTRACE" 0x01
//	event  = tag [thread] dt fields
//	tag    = op (bits 0..3) | 0x10 when the thread is the previous event's
//	         (then no thread field follows); bits 5..7 are zero
//	thread = uvarint: a thread seen before, or the next new one
//	dt     = uvarint: nanoseconds since the previous event
//	fields = malloc, calloc, mmap:         id size
//	         posix_memalign, aligned_alloc,
//	         memalign, valloc:             id size log2(align)
//	         realloc:                      oldid id size
//	         free, munmap:                 id
//	         rss:                          bytes
//	end    = 0x19 0x00 count   (count: the events before it)
//
// Every number is an unsigned LEB128 varint (encoding/binary's Uvarint). An
// id is either one seen and freed before or the next unused one, so ids
// stay below the most objects live at once and a reader's table grows only
// with the input.

// Magic opens every trace file.
const Magic = "MSTRACE\x01"

const sameThread = 0x10
