package cgroup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/units"
)

func readInt(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func TestSettingsValidate(t *testing.T) {
	// Negative or sentinel limits cannot be written any more; a hard limit
	// of 0 bytes (every charge fails) is the one refused value.
	if err := (Settings{Max: units.BytesLimit(0)}).validate(); err == nil {
		t.Error("Max of 0 bytes: want an error")
	}
	if err := (Settings{Max: units.Unlimited, High: units.Unlimited, Swap: units.Unlimited}).validate(); err != nil {
		t.Errorf("all unlimited: %v", err)
	}
}

func TestNewChildWritesLimits(t *testing.T) {
	h := realHost(t, true)
	g := newTestChild(t, h, Settings{Max: units.BytesLimit(32 << 20), High: units.BytesLimit(16 << 20), Swap: units.BytesLimit(0)})
	if g.Mode() != ModeChild || g.Version() != h.Version() || filepath.Dir(g.Path()) != h.Dir() {
		t.Errorf("mode %q version %d path %q under %q", g.Mode(), g.Version(), g.Path(), h.Dir())
	}
	files := map[string]int64{"memory.max": 32 << 20, "memory.high": 16 << 20, "memory.swap.max": 0}
	if h.Version() == 1 {
		files = map[string]int64{"memory.limit_in_bytes": 32 << 20, "memory.soft_limit_in_bytes": 16 << 20}
		if _, err := os.Stat(filepath.Join(g.Path(), "memory.memsw.limit_in_bytes")); err == nil {
			files["memory.memsw.limit_in_bytes"] = 32 << 20 // Max + Swap(0)
		}
		if g.FD() != -1 {
			t.Errorf("v1 FD = %d, want -1", g.FD())
		}
	} else if g.FD() < 0 {
		t.Errorf("v2 FD = %d, want an open descriptor", g.FD())
	}
	for name, want := range files {
		if got := readInt(t, filepath.Join(g.Path(), name)); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	st, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Limit != units.BytesLimit(32<<20) || st.High != units.BytesLimit(16<<20) || st.OOMKills != 0 {
		t.Errorf("Stats: Limit %v High %v OOMKills %d", st.Limit, st.High, st.OOMKills)
	}
	// Only controllers the group owns: no sibling directory in cpu, pids, ...
	if h.Version() == 1 {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/pids", filepath.Base(g.Path()))); err == nil {
			t.Errorf("child also created in the pids hierarchy")
		}
	}

	u := newTestChild(t, h, Settings{Max: units.Unlimited, High: units.Unlimited, Swap: units.Unlimited})
	st, err = u.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Limit.IsUnlimited() || !st.High.IsUnlimited() || (st.Swap.IsSet() && !st.Swap.IsUnlimited()) {
		t.Errorf("unlimited child: Limit %v High %v Swap %v, want unlimited (swap: or not accounted)", st.Limit, st.High, st.Swap)
	}

	if dup, err := h.NewChild(filepath.Base(g.Path()), Settings{Max: units.Unlimited, High: units.Unlimited, Swap: units.Unlimited}); !errors.Is(err, fs.ErrExist) {
		if dup != nil {
			dup.Close() // same directory as g, which removes it
		}
		t.Errorf("NewChild on an existing name: err = %v, want fs.ErrExist", err)
	}
	if h.Version() == 1 {
		name := ChildName(os.Getpid(), int(childSeq.Add(1)))
		bad, err := h.NewChild(name, Settings{Max: units.BytesLimit(32 << 20), High: units.Unlimited, Swap: units.Unlimited, OOMGroup: true})
		if bad != nil {
			t.Cleanup(func() { bad.Delete() })
		}
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("OOMGroup on v1: err = %v, want ErrUnsupported", err)
		}
		if _, err := os.Stat(filepath.Join(h.Dir(), name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("failed NewChild left %s behind (%v)", name, err)
		}
	}
}

// TestOOMKillInChild runs `tail /dev/zero` in a 32 MiB child: tail keeps the
// endless line in memory, so its anonymous memory grows until a charge fails
// with nothing reclaimable (no swap, no page cache) and the memcg OOM killer
// SIGKILLs it. Swap 0 also sets v1 memory.memsw.limit_in_bytes to the limit.
func TestOOMKillInChild(t *testing.T) {
	h := realHost(t, true)
	const limit = 32 << 20
	for _, swap := range []int64{-1, 0} {
		t.Run(fmt.Sprintf("swap=%d", swap), func(t *testing.T) {
			g := newTestChild(t, h, Settings{Max: units.BytesLimit(limit), High: units.Unlimited, Swap: units.BytesLimit(swap)})
			cmd, release := startBlocked(t, 2*time.Minute, "tail /dev/zero")
			if err := g.AddProc(cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			release()
			err := cmd.Wait()
			if sig, ok := killedBy(err); !ok || sig != syscall.SIGKILL {
				t.Fatalf("tail ended with %v, want SIGKILL by the OOM killer", err)
			}
			st, err := g.Stats()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("after OOM: Usage %d Peak %d (%s) Limit %d Swap %d OOMKills %d Failcnt %d Events %v",
				st.Usage, st.Peak, st.PeakSource, st.Limit, st.Swap, st.OOMKills, st.Failcnt, st.Events)
			if st.OOMKills != 1 {
				t.Errorf("OOMKills = %d, want 1", st.OOMKills)
			}
			// The page counter refuses any charge beyond the limit, so the
			// high-water mark cannot exceed it; the kernel only OOM-kills
			// after reclaim failed at the limit, so usage got within a
			// charge batch (64 pages) of it: 90% is ample slack.
			if st.PeakSource == PeakKernel && (st.Peak <= limit*9/10 || st.Peak > limit) {
				t.Errorf("Peak = %d, want in (0.9, 1.0] x %d", st.Peak, limit)
			}
			// Without a memsw limit the memory counter is the one that
			// refuses; with one, recent kernels count the refusal nowhere
			// (see readStatsV1).
			if (swap < 0 || h.Version() == 2) && st.Failcnt < 1 {
				t.Errorf("Failcnt = %d: usage must have hit the limit at least once", st.Failcnt)
			}
			// The worker polls usage through UsageFile with pread at offset 0.
			buf := make([]byte, 32)
			for i := 0; i < 2; i++ {
				n, err := g.UsageFile().ReadAt(buf, 0)
				if n == 0 {
					t.Fatalf("pread usage: %v", err)
				}
				v, err := strconv.ParseInt(string(bytes.TrimSpace(buf[:n])), 10, 64)
				if err != nil || v < 0 || v > limit {
					t.Errorf("pread %d of usage: %q = %d, %v; want 0..limit", i, buf[:n], v, err)
				}
			}
			if err := g.Delete(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(g.Path()); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after Delete %s: %v, want not exist", g.Path(), err)
			}
		})
	}
}

// TestCurrent reads the own cgroup read-only. In the root of a cgroup v2
// hierarchy, which has no memory.current or memory.max, Current refuses
// with ErrRootCgroup, naming the directory.
func TestCurrent(t *testing.T) {
	h := realHost(t, false)
	g, err := h.Current()
	if h.Version() == 2 && isRootV2(h.Dir()) {
		if !errors.Is(err, ErrRootCgroup) || !strings.Contains(err.Error(), h.Dir()) {
			t.Fatalf("Current in the v2 root %s = %v, want ErrRootCgroup naming it", h.Dir(), err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	st, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("current %s: %+v", g.Path(), st)
	// This test binary runs in that cgroup, so its own pages are charged.
	if lim, ok := st.Limit.Bytes(); st.Usage <= 0 || (ok && st.Usage > lim) {
		t.Errorf("Usage = %d with Limit %v", st.Usage, st.Limit)
	}
	if st.PeakSource == PeakKernel && st.Peak < st.Usage {
		t.Errorf("Peak %d < Usage %d read before it", st.Peak, st.Usage)
	}
	if g.Mode() != ModeCurrent || g.FD() != -1 || g.Path() != h.Dir() {
		t.Errorf("mode %q FD %d path %q", g.Mode(), g.FD(), g.Path())
	}
	if err := g.Delete(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Delete on current: %v, want ErrReadOnly", err)
	}
	if err := g.AddProc(os.Getpid()); !errors.Is(err, ErrReadOnly) {
		t.Errorf("AddProc on current: %v, want ErrReadOnly", err)
	}
	if _, err := os.Stat(g.Path()); err != nil {
		t.Errorf("current cgroup gone: %v", err)
	}
}
