package wire

import (
	"testing"
	"unsafe"

	"github.com/memstorm/memstorm/alloc"
	"github.com/memstorm/memstorm/sample"
)

// TestStatusPageLayout: the sampling thread reads the status page as a
// header of sample.Words words and blocks of sample.Words words whose first
// four are live bytes, objects, allocated and freed bytes: the layout of
// alloc.Counters must stay that.
func TestStatusPageLayout(t *testing.T) {
	var c alloc.Counters
	if got := unsafe.Sizeof(c); got != sample.Words*8 {
		t.Errorf("alloc.Counters is %d bytes, the sampler reads blocks of %d", got, sample.Words*8)
	}
	if HdrWords != sample.Words {
		t.Errorf("the status page header has %d words, the sampler reads %d", HdrWords, sample.Words)
	}
	offsets := map[string][2]uintptr{
		"LiveBytes":   {unsafe.Offsetof(c.LiveBytes), BlockLive * 8},
		"LiveObjects": {unsafe.Offsetof(c.LiveObjects), BlockObjects * 8},
		"AllocBytes":  {unsafe.Offsetof(c.AllocBytes), BlockAllocBytes * 8},
		"FreeBytes":   {unsafe.Offsetof(c.FreeBytes), BlockFreeBytes * 8},
	}
	for name, o := range offsets {
		if o[0] != o[1] {
			t.Errorf("alloc.Counters.%s at offset %d, the sampler reads it at %d", name, o[0], o[1])
		}
	}
}
