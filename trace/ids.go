package trace

// IDs maps live addresses to recycled object ids: an allocation takes the
// id most recently freed on its thread (or a new one), so ids stay below
// the most objects live at once (plus what each thread keeps in its pool).
// The pools are per thread so that a replay thread never waits for another
// merely because ids crossed between them: an id freed by thread A is
// reused by A, after A's own free. Writers of traces (record, the
// importers) use it; SetThread names the thread of the calls that follow.
type IDs struct {
	byAddr map[uint64]uint32
	free   map[uint32][]uint32 // per thread
	thread uint32
	next   uint32
}

// NewIDs returns an empty map, on thread 0.
func NewIDs() *IDs { return &IDs{byAddr: map[uint64]uint32{}, free: map[uint32][]uint32{}} }

// SetThread makes the calls that follow those of thread t.
func (m *IDs) SetThread(t uint32) { m.thread = t }

// Alloc gives addr an id. ok is false when addr was already live (its old
// id is then returned in prev and released first: the caller missed a free).
func (m *IDs) Alloc(addr uint64) (id, prev uint32, ok bool) {
	prev, dup := m.byAddr[addr]
	if dup {
		m.free[m.thread] = append(m.free[m.thread], prev)
	}
	pool := m.free[m.thread]
	if n := len(pool); n > 0 {
		id = pool[n-1]
		m.free[m.thread] = pool[:n-1]
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
		m.free[m.thread] = append(m.free[m.thread], id)
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
