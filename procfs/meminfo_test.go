package procfs

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestMeminfoFixtures(t *testing.T) {
	for _, tc := range []struct {
		host string
		want Meminfo
	}{
		{"v1-hybrid", Meminfo{
			MemTotal: 24683620 * kB, MemFree: 23651956 * kB, MemAvailable: 24233604 * kB, Buffers: 15804 * kB,
			Cached: 757844 * kB, Active: 340160 * kB, Inactive: 429408 * kB, ActiveAnon: 1512 * kB,
			InactiveAnon: 3268 * kB, ActiveFile: 338648 * kB, InactiveFile: 426140 * kB, Unevictable: 10768 * kB,
			Mlocked: 9756 * kB, Dirty: 144 * kB, AnonPages: 6732 * kB, Mapped: 11260 * kB, Shmem: 8952 * kB,
			Slab: 90444 * kB, SReclaimable: 66636 * kB, SUnreclaim: 23808 * kB, KernelStack: 1348 * kB,
			PageTables: 1372 * kB, CommitLimit: 12341808 * kB, CommittedAS: 50364 * kB, Hugepagesize: 2048 * kB,
		}},
		{"v2", Meminfo{
			MemTotal: 131981020 * kB, MemFree: 130739028 * kB, MemAvailable: 131489452 * kB, Buffers: 12780 * kB,
			Cached: 946148 * kB, Active: 45760 * kB, Inactive: 906760 * kB, InactiveAnon: 976 * kB,
			ActiveFile: 45760 * kB, InactiveFile: 905784 * kB, Unevictable: 8272 * kB, Mlocked: 6624 * kB,
			Dirty: 1280 * kB, AnonPages: 1648 * kB, Mapped: 9556 * kB, Shmem: 7368 * kB, Slab: 47560 * kB,
			SReclaimable: 10992 * kB, SUnreclaim: 36568 * kB, KernelStack: 3520 * kB, PageTables: 1008 * kB,
			CommitLimit: 65990508 * kB, CommittedAS: 68740 * kB, Hugepagesize: 2048 * kB,
		}},
	} {
		t.Run(tc.host, func(t *testing.T) {
			got, err := hostFS[tc.host].Meminfo()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Meminfo() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMeminfoCases(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantErr error
	}{
		{"meminfo-blank-lines", nil},
		{"meminfo-missing-memavailable", ErrMalformed},
		{"meminfo-truncated-line", ErrMalformed},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseMeminfo(openCase(t, tc.file))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("ParseMeminfo error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			want, err := hostFS["v2"].Meminfo() // the case was made from this file
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("blank lines changed the result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMeminfoReal(t *testing.T) {
	m, err := DefaultFS.Meminfo()
	if err != nil {
		t.Fatal(err)
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	// Both report totalram_pages; meminfo rounds to kB.
	if total := int64(si.Totalram) * int64(si.Unit); m.MemTotal/kB != total/kB {
		t.Errorf("MemTotal %d, sysinfo totalram %d", m.MemTotal, total)
	}
	if m.MemFree > m.MemTotal || m.MemAvailable > m.MemTotal || m.MemAvailable <= 0 {
		t.Errorf("MemTotal %d MemFree %d MemAvailable %d", m.MemTotal, m.MemFree, m.MemAvailable)
	}
	if m.SwapFree > m.SwapTotal {
		t.Errorf("SwapFree %d > SwapTotal %d", m.SwapFree, m.SwapTotal)
	}
}
