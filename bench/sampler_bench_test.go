package bench

import (
	"os"
	"strconv"
	"testing"

	"github.com/memstorm/memstorm/alloc/cref"
	"github.com/memstorm/memstorm/procfs"
)

// BenchmarkSampleReads times reads of one sample against a C process
// holding 256 MiB in 4 KiB chunks inside a limited cgroup: smaps_rollup,
// which the supervisor reads through procfs.ProcessReader and whose cost
// grows with the page count, and the cgroup usage. /proc/<pid>/status and
// stat are read by the C sampling thread (package sample), not timed here.
func BenchmarkSampleReads(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to create a memory cgroup")
	}
	dir := b.TempDir()
	bin, err := cref.Build(dir)
	if err != nil {
		b.Fatal(err)
	}
	lim, err := newLimiter()
	if err != nil {
		b.Skip(err)
	}
	const hold = 256 << 20
	p, err := lim.start(hold*2, false, bin, "hold", "1", strconv.Itoa(hold), "4096")
	if err != nil {
		b.Fatal(err)
	}
	defer p.stop()
	if l, err := p.line(); err != nil || l != "ready" {
		b.Fatalf("cref hold said %q, %v", l, err)
	}
	r, err := procfs.DefaultFS.NewProcessReader(p.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var sm procfs.SmapsRollup
	b.Run("smaps_rollup", func(b *testing.B) {
		for b.Loop() {
			if err := r.SmapsRollup(&sm); err != nil {
				b.Fatal(err)
			}
		}
	})
	buf := make([]byte, 32)
	b.Run("cgroup_usage", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.usage(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
