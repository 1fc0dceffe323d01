package units

// Limit is a memory limit: unset (the zero value: nobody asked for one),
// unlimited (the kernel's "max", or no limit in force), or a byte count.
// It replaces the 0 = unset, -1 = unlimited sentinels: each state is asked
// for by name.
type Limit struct {
	bytes     int64
	unlimited bool
}

// Unlimited is a limit of "max".
var Unlimited = Limit{unlimited: true}

// LimitOf is a limit of n bytes; n <= 0 gives the unset limit.
func LimitOf(n int64) Limit {
	if n <= 0 {
		return Limit{}
	}
	return Limit{bytes: n}
}

// IsSet reports whether the limit says anything (a byte count or unlimited).
func (l Limit) IsSet() bool { return l.unlimited || l.bytes > 0 }

// IsUnlimited reports whether the limit is "max".
func (l Limit) IsUnlimited() bool { return l.unlimited }

// Bytes returns the byte count and true for a bounded limit; 0 and false
// when it is unset or unlimited.
func (l Limit) Bytes() (int64, bool) { return l.bytes, l.bytes > 0 }

// Bounded reports whether the limit is a byte count.
func (l Limit) Bounded() bool { return l.bytes > 0 }

// Or returns l when it is set, else def: an override over a default.
func (l Limit) Or(def Limit) Limit {
	if l.IsSet() {
		return l
	}
	return def
}

// String writes the limit for people: "256 MiB", "unlimited" or "unset".
func (l Limit) String() string {
	switch {
	case l.unlimited:
		return "unlimited"
	case l.bytes > 0:
		return FormatBytes(l.bytes)
	}
	return "unset"
}
