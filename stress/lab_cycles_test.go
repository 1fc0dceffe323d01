package stress

import "testing"

// Cases of the lab that change over cycles or threads: a ratchet from
// growing request sizes, and threads that exit holding memory. Bounds
// come from the mechanisms (and runs on this host, docs/allocators.md).

// TestLabRatchet: each ratchet cycle fills a size class no later cycle
// uses, and 90% random frees leave a survivor on nearly every page, so the
// size-class allocators keep about each cycle's whole fill (measured 0.98
// to 1.00 of it per cycle at scale 0.5); glibc's coalesced free chunks fit
// the bigger requests (0.18). With sizes that do not grow, every allocator
// refills its holes and grows by little more than the survivors (0.10 of
// the fill stays live; measured 0.14 to 0.18). Growth is measured from cycle 2 to cycle 6.
func TestLabRatchet(t *testing.T) {
	const scale = 0.5
	perCycle := func(t *testing.T, a string, growth float64) float64 {
		sc := loadScaled(t, "ratchet", scale)
		sc.Phases[0].SizeGrowth = growth
		fill := int64(sc.Phases[0].Phases[0].Allocate.Until.Bytes)
		s := runLabScenario(t, sc, a)
		return ratio(phase(t, s, "shrink#6").AnonBytes-phase(t, s, "shrink#2").AnonBytes, 4*fill)
	}
	for _, a := range labAllocators {
		t.Run(a, func(t *testing.T) {
			grow, flat := perCycle(t, a, 1.5), perCycle(t, a, 1)
			t.Logf("anon growth per cycle / fill: growing sizes %.2f, same sizes %.2f", grow, flat)
			if flat > 0.3 {
				t.Errorf("same sizes: anon grew %.2f of the fill per cycle, want < 0.3 (holes refilled)", flat)
			}
			if a == "glibc" {
				if grow > 0.3 {
					t.Errorf("growing sizes: anon grew %.2f of the fill per cycle, want < 0.3 (coalesced chunks reused)", grow)
				}
				return
			}
			// A cycle cannot pin more than it allocated, rounded up to
			// its size classes (at most a quarter more).
			if grow < 0.7 || grow > 1.3 {
				t.Errorf("growing sizes: anon grew %.2f of the fill per cycle, want 0.7..1.3 (every page pinned)", grow)
			}
		})
	}
}

// TestLabThreadExit: jobs whose threads exit afterwards, against the same
// jobs on threads that stay (thread-arenas). jemalloc rebinds the next
// job's thread to the arena the exited thread left and reuses its pages;
// glibc's replacement thread takes its predecessor's arena while the other
// threads keep their own, so nothing changes (measured at scale 0.25, the
// first job's anon at the end, threads staying / exiting: glibc 6.4x /
// 6.4x, jemalloc 5.7x / 1.2x, tcmalloc 2.0x / 1.5x, mimalloc 6.6x / 1.9x).
func TestLabThreadExit(t *testing.T) {
	for _, a := range labAllocators {
		t.Run(a, func(t *testing.T) {
			growth := func(name string) float64 {
				s := runLab(t, name, 0.25, a, nil)
				return ratio(phase(t, s, "observe").AnonBytes, phase(t, s, "job#1").AnonBytes)
			}
			stay, exit := growth("thread-arenas"), growth("thread-exit-arenas")
			t.Logf("anon at end / first job: threads stay %.2fx, threads exit %.2fx", stay, exit)
			switch a {
			case "glibc":
				if exit < 5 {
					t.Errorf("threads exit: anon grew %.2fx, want > 5 (each job still in its own arena)", exit)
				}
			case "jemalloc":
				if stay < 4 || exit > stay/2 {
					t.Errorf("anon grew %.2fx (threads stay) and %.2fx (threads exit), want > 4 and below half (arenas rebound and reused)", stay, exit)
				}
			case "tcmalloc":
				if exit > 2 {
					t.Errorf("threads exit: anon grew %.2fx, want < 2 (central lists shared)", exit)
				}
			case "mimalloc":
				if exit > stay/2 {
					t.Errorf("anon grew %.2fx (threads stay) and %.2fx (threads exit), want exit below half (abandoned pages reclaimed)", stay, exit)
				}
			}
		})
	}
}
