package scenarios

import (
	"slices"
	"strings"
)

// Value is one value of an enum key, with a line saying what it means.
type Value[T ~string] struct {
	Name T
	Doc  string
}

// Enum is the ordered list of the values a scenario key accepts. It is the
// one list of them: the validator's messages are built from it, the worker
// maps each of its values to the engine's (worker's tests hold the two
// equal), and docs/scenarios.md documents it in a table whose first header
// cell is `Key` (a test holds the doc to it).
type Enum[T ~string] struct {
	Key    string // the YAML key that takes these values: "via"
	Values []Value[T]
}

// Has reports whether v is one of the values.
func (e Enum[T]) Has(v T) bool {
	return slices.ContainsFunc(e.Values, func(x Value[T]) bool { return x.Name == v })
}

// Names lists the values in order.
func (e Enum[T]) Names() []string {
	names := make([]string, len(e.Values))
	for i, v := range e.Values {
		names[i] = string(v.Name)
	}
	return names
}

// Want lists the values as the validator's messages write them:
// "malloc, calloc, realloc, posix_memalign, mmap, go, file, tmpfs, memfd or shm".
func (e Enum[T]) Want() string {
	return orList(e.Names())
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
