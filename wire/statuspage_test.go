package wire

import (
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/memstorm/memstorm/alloc"
)

// TestStatusPageIsShared: what one mapping writes (the worker) the other
// reads (the supervisor), through the same memfd.
func TestStatusPageIsShared(t *testing.T) {
	sup, err := NewStatusPage(3)
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(sup.file.Fd())), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	wrk, err := MapStatusPage(f, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer wrk.Close()

	if got := sup.load(HdrStep); got != -1 {
		t.Errorf("step before the first = %d, want -1", got)
	}
	if h := sup.Heap(); h.InUse != -1 || h.Held != -1 {
		t.Errorf("heap before the first refresh = %+v, want absent (-1)", h)
	}
	for i := 0; i < 3; i++ {
		c := wrk.Counters(i)
		atomic.StoreInt64(&c.LiveBytes, int64(1000*(i+1)))
		atomic.StoreInt64(&c.LiveObjects, int64(i+1))
	}
	wrk.store(HdrStep, 4)
	wrk.SetHeap(alloc.HeapStats{InUse: 10, Held: 20, Retained: -1, Arenas: 2})

	tot := sup.Totals()
	if tot.Live != 6000 || tot.Objects != 6 {
		t.Errorf("totals = %+v, want live 6000 in 6 objects", tot)
	}
	if sup.load(HdrStep) != 4 {
		t.Errorf("step = %d, want 4", sup.load(HdrStep))
	}
	if h := sup.Heap(); h != (alloc.HeapStats{InUse: 10, Held: 20, Retained: -1, Arenas: 2}) {
		t.Errorf("heap = %+v", h)
	}
}
