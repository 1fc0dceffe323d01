package trace

import "fmt"

// Op is the kind of one event.
type Op uint8

// Events of a trace. The numbers are the format's tags (format.go).
const (
	OpMalloc        Op = 1  // ID, Size
	OpCalloc        Op = 2  // ID, Size (nmemb*size)
	OpRealloc       Op = 3  // OldID freed, ID allocated with Size (ID may equal OldID)
	OpFree          Op = 4  // ID
	OpPosixMemalign Op = 5  // ID, Size, Align
	OpMmap          Op = 6  // ID, Size: an anonymous private mapping
	OpMunmap        Op = 7  // ID: the whole mapping
	OpRSS           Op = 8  // Size: the recorded program's resident anonymous bytes
	opEnd           Op = 9  // the trailer: the event count
	OpAlignedAlloc  Op = 10 // ID, Size, Align
	OpMemalign      Op = 11 // ID, Size, Align
	OpValloc        Op = 12 // ID, Size, Align (the page size)
	opMax           Op = 12
)

var opNames = [...]string{
	OpMalloc: "malloc", OpCalloc: "calloc", OpRealloc: "realloc", OpFree: "free",
	OpPosixMemalign: "posix_memalign", OpMmap: "mmap", OpMunmap: "munmap", OpRSS: "rss",
	opEnd: "end", OpAlignedAlloc: "aligned_alloc", OpMemalign: "memalign", OpValloc: "valloc",
}

func (o Op) String() string {
	if o >= 1 && o <= opMax {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Allocates reports whether the event creates an object (ID).
func (o Op) Allocates() bool {
	switch o {
	case OpMalloc, OpCalloc, OpRealloc, OpPosixMemalign, OpMmap, OpAlignedAlloc, OpMemalign, OpValloc:
		return true
	}
	return false
}

// Frees reports whether the event ends an object (ID for free and munmap,
// OldID for realloc).
func (o Op) Frees() bool { return o == OpFree || o == OpMunmap || o == OpRealloc }

func (o Op) aligned() bool {
	return o == OpPosixMemalign || o == OpAlignedAlloc || o == OpMemalign || o == OpValloc
}

// Event is one call of the recorded program.
type Event struct {
	Op     Op
	Thread uint32 // 0.. in order of first appearance
	Time   int64  // nanoseconds since the trace began, never decreasing
	ID     uint32 // the object allocated, or freed by free and munmap
	OldID  uint32 // realloc: the object given back
	Size   uint64 // requested bytes; OpRSS: resident bytes
	Align  uint64 // the aligned ops: a power of two
}

// MaxSize bounds a request the format accepts (2^48 bytes, the x86-64 user
// address space); anything larger is corruption.
const MaxSize = 1 << 48

// MaxThreads bounds the distinct threads of a trace.
const MaxThreads = 1 << 16
