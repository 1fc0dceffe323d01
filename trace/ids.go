package trace

// IDs maps live addresses to recycled object ids: an allocation takes the
// most recently freed id (or a new one), so ids stay below the most objects
// live at once. Writers of traces (record, the importers) use it.
type IDs struct {
	byAddr map[uint64]uint32
	free   []uint32
	next   uint32
}

// NewIDs returns an empty map.
func NewIDs() *IDs { return &IDs{byAddr: map[uint64]uint32{}} }

// Alloc gives addr an id. ok is false when addr was already live (its old
// id is then returned in prev and released first: the caller missed a free).
func (m *IDs) Alloc(addr uint64) (id, prev uint32, ok bool) {
	prev, dup := m.byAddr[addr]
	if dup {
		m.free = append(m.free, prev)
	}
	if n := len(m.free); n > 0 {
		id = m.free[n-1]
		m.free = m.free[:n-1]
	} else {
		id = m.next
		m.next++
	}
	m.byAddr[addr] = id
	return id, prev, !dup
}

// Free releases addr's id; ok is false when addr is not live.
func (m *IDs) Free(addr uint64) (id uint32, ok bool) {
	id, ok = m.byAddr[addr]
	if ok {
		delete(m.byAddr, addr)
		m.free = append(m.free, id)
	}
	return id, ok
}

// Lookup returns addr's id without changing anything.
func (m *IDs) Lookup(addr uint64) (uint32, bool) {
	id, ok := m.byAddr[addr]
	return id, ok
}

// Live is the number of live addresses.
func (m *IDs) Live() int { return len(m.byAddr) }
