package units

import (
	"encoding/json"
	"fmt"
)

// Limit is a memory limit: unset (the zero value: nobody asked for one),
// unlimited (the kernel's "max"), or a byte count, which may be 0 where
// that means something (no swap beyond the hard limit). It replaces the
// 0 = unset, -1 = unlimited sentinels: each state is asked for by name.
type Limit struct {
	bytes int64
	state limitState
}

type limitState uint8

const (
	limitUnset limitState = iota
	limitBounded
	limitUnlimited
)

// Unlimited is a limit of "max".
var Unlimited = Limit{state: limitUnlimited}

// LimitOf is a limit of n bytes for n > 0, and the unset limit otherwise:
// the reading of a size field where 0 means "not given".
func LimitOf(n int64) Limit {
	if n <= 0 {
		return Limit{}
	}
	return Limit{bytes: n, state: limitBounded}
}

// BytesLimit is a limit of exactly n >= 0 bytes, 0 included.
func BytesLimit(n int64) Limit {
	if n < 0 {
		return Limit{}
	}
	return Limit{bytes: n, state: limitBounded}
}

// IsSet reports whether the limit says anything (a byte count or unlimited).
func (l Limit) IsSet() bool { return l.state != limitUnset }

// IsUnlimited reports whether the limit is "max".
func (l Limit) IsUnlimited() bool { return l.state == limitUnlimited }

// Bounded reports whether the limit is a byte count.
func (l Limit) Bounded() bool { return l.state == limitBounded }

// Bytes returns the byte count and true for a bounded limit; 0 and false
// when it is unset or unlimited.
func (l Limit) Bytes() (int64, bool) { return l.bytes, l.state == limitBounded }

// Or returns l when it is set, else def: an override over a default.
func (l Limit) Or(def Limit) Limit {
	if l.IsSet() {
		return l
	}
	return def
}

// String writes the limit for people: "256 MiB", "unlimited" or "unset".
func (l Limit) String() string {
	switch l.state {
	case limitUnlimited:
		return "unlimited"
	case limitBounded:
		return FormatBytes(l.bytes)
	}
	return "unset"
}

// MarshalJSON writes a byte count as a number, unlimited as "max" (the
// kernel's word) and unset as null.
func (l Limit) MarshalJSON() ([]byte, error) {
	switch l.state {
	case limitUnlimited:
		return []byte(`"max"`), nil
	case limitBounded:
		return json.Marshal(l.bytes)
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Limit) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*l = Limit{}
		return nil
	case `"max"`:
		*l = Unlimited
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil || n < 0 {
		return fmt.Errorf("limit %s: want a byte count, \"max\" or null", b)
	}
	*l = BytesLimit(n)
	return nil
}

// Equal reports whether two limits say the same (go-cmp uses it too).
func (l Limit) Equal(o Limit) bool { return l == o }
