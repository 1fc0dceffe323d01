package cref

import (
	"context"
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/memstorm/memstorm/alloc"
)

const mib = int64(1) << 20

// trimSlack is what a trim may itself make resident: the pages of the
// allocator's own state it walks or writes.
const trimSlack = 256 << 10

var allocators = []struct{ name, lib string }{
	{alloc.NameGlibc, ""},
	{alloc.NameJemalloc, "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"},
	{alloc.NameTcmalloc, "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"},
	{alloc.NameMimalloc, "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"},
}

func buildTwin(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		if os.Getenv("MEMSTORM_CI") == "1" {
			t.Fatalf("MEMSTORM_CI=1 but no C compiler: %v", err)
		}
		t.Skip("no C compiler (cc) on PATH")
	}
	bin, err := Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func preloadEnv(t *testing.T, lib string) []string {
	t.Helper()
	if lib == "" {
		return nil
	}
	if _, err := os.Stat(lib); err != nil {
		if os.Getenv("MEMSTORM_CI") == "1" {
			t.Fatalf("MEMSTORM_CI=1 but %s is missing: %v", lib, err)
		}
		t.Skipf("%s not installed: %v", lib, err)
	}
	return []string{"LD_PRELOAD=" + lib}
}

func runTwin(t *testing.T, tw Twin) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := tw.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]Phase{r.Start}, r.Phases...) {
		held := "-"
		if p.Held >= 0 {
			held = fmt.Sprintf("%.1f MiB", mb(p.Held))
		}
		t.Logf("%-36s anon %7.1f MiB  held %9s  %s", p.Step, mb(p.Anon), held, p.Detail)
	}
	return r
}

func mb(b int64) float64 { return float64(b) / float64(mib) }

// The shapes of two scenarios at 32 MiB of 64 B..4 KiB objects, each bound
// from the mechanism that makes it.
func TestTwinShapes(t *testing.T) {
	bin := buildTwin(t)
	const fill, seed = 32 * mib, 1
	sizes := alloc.Dist{Kind: alloc.Uniform, Min: 64, Max: 4096}
	for _, a := range allocators {
		t.Run(a.name, func(t *testing.T) {
			env := preloadEnv(t, a.lib)
			// eat-and-return: fill, free all in allocation order, trim.
			r := runTwin(t, Twin{Bin: bin, Seed: seed, Env: env, Heap: true,
				Steps: []Step{Fill(fill, sizes), Free(alloc.Selection{Pattern: alloc.All}), Trim()}})
			if !strings.Contains(r.Allocator, a.name) && !(a.name == alloc.NameGlibc && strings.Contains(r.Allocator, "libc.so")) {
				t.Fatalf("twin ran on %q, want %s", r.Allocator, a.name)
			}
			start, filled, freed, trimmed := r.Start, r.Phases[0], r.Phases[1], r.Phases[2]
			checkFill(t, start, filled, fill)
			switch a.name {
			case alloc.NameGlibc:
				// Free consolidates the heap into the top chunk and gives it
				// back, except below the highest chunk still parked in the
				// tcache (the first 7 freed of each size up to 1032 B).
				pinned := tcachePinned(t, seed, fill, 64, 4096, filled.Detail)
				if got := freed.Anon - start.Anon; got < pinned-mib/2 || got > pinned+mib {
					t.Errorf("glibc after free-all: %.1f MiB above start, want the %.1f MiB below the highest tcache-parked chunk (-0.5/+1 MiB)", mb(got), mb(pinned))
				}
				// malloc_trim gives back every free page; left: at most 7*61
				// parked chunks (up to two pages each) and the top pad.
				if got := trimmed.Anon - start.Anon; got > 4*mib || trimmed.Anon >= freed.Anon {
					t.Errorf("glibc after trim: %.1f MiB above start (after free %.1f MiB), want below 4 MiB and less than after free", mb(got), mb(freed.Anon-start.Anon))
				}
			case alloc.NameJemalloc, alloc.NameMimalloc:
				// jemalloc: the tcache flushed, every arena's dirty pages
				// purged; mimalloc: every segment is empty, so collect
				// frees them. Left: the allocator's metadata.
				if got := trimmed.Anon - start.Anon; got > 2*mib {
					t.Errorf("%s after trim: %.1f MiB above start, want at most 2 MiB", a.name, mb(got))
				}
			case alloc.NameTcmalloc:
				// What the trim leaves is what tcmalloc still holds (objects
				// in its central and transfer caches, metadata), nothing else.
				if got, held := trimmed.Anon-start.Anon, trimmed.Held-start.Held; got > held+2*mib || trimmed.Held >= freed.Held {
					t.Errorf("tcmalloc after trim: %.1f MiB above start, heap held %.1f MiB above start (%.1f after free); want the resident rise within held+2 MiB and held to drop",
						mb(got), mb(held), mb(freed.Held-start.Held))
				}
			}
			if trimmed.Anon > freed.Anon+trimSlack {
				t.Errorf("%s: trim raised anon from %.1f to %.1f MiB", a.name, mb(freed.Anon), mb(trimmed.Anon))
			}

			// every-other: every other object stays live, so (nearly) every
			// page keeps one; no allocator gives such a page back on free,
			// and glibc's trim cannot either (a freed chunk below 4112 B
			// between two live ones holds no whole page).
			r = runTwin(t, Twin{Bin: bin, Seed: seed, Env: env,
				Steps: []Step{Fill(fill, sizes), Free(alloc.Selection{Pattern: alloc.EveryNth, N: 2}), Trim()}})
			start, filled, freed, trimmed = r.Start, r.Phases[0], r.Phases[1], r.Phases[2]
			checkFill(t, start, filled, fill)
			if freed.Anon < filled.Anon-2*mib {
				t.Errorf("%s every-other: anon %.1f MiB after free, %.1f after fill; want within 2 MiB", a.name, mb(freed.Anon), mb(filled.Anon))
			}
			if a.name == alloc.NameGlibc && trimmed.Anon < filled.Anon-2*mib {
				t.Errorf("glibc every-other: anon %.1f MiB after trim, %.1f after fill; want within 2 MiB", mb(trimmed.Anon), mb(filled.Anon))
			}
			if trimmed.Anon > freed.Anon+trimSlack {
				t.Errorf("%s every-other: trim raised anon from %.1f to %.1f MiB", a.name, mb(freed.Anon), mb(trimmed.Anon))
			}
		})
	}
}

// TestTwinGlibcTcacheOff: without the tcache nothing is parked, so free-all
// gives the whole heap back (glibc.malloc.tcache_count=0).
func TestTwinGlibcTcacheOff(t *testing.T) {
	bin := buildTwin(t)
	r := runTwin(t, Twin{Bin: bin, Seed: 1, Env: []string{"GLIBC_TUNABLES=glibc.malloc.tcache_count=0"},
		Steps: []Step{Fill(32*mib, alloc.Dist{Kind: alloc.Uniform, Min: 64, Max: 4096}), Free(alloc.Selection{Pattern: alloc.All})}})
	if !strings.Contains(r.Allocator, "libc.so") {
		t.Skipf("malloc is served by %s, not glibc", r.Allocator)
	}
	if got := r.Phases[1].Anon - r.Start.Anon; got > mib {
		t.Errorf("after free-all with the tcache off: %.1f MiB above start, want at most 1 MiB", mb(got))
	}
}

// TestTwinGlibcTopPin: one small object allocated after the fill comes from
// the top chunk and pins it: free-all then gives nothing back, malloc_trim
// does (the pin is the mechanism, here made on purpose).
func TestTwinGlibcTopPin(t *testing.T) {
	bin := buildTwin(t)
	for _, pin := range []Step{Pin(32), Poke(32)} {
		t.Run(string(pin), func(t *testing.T) {
			r := runTwin(t, Twin{Bin: bin, Seed: 1,
				Steps: []Step{Fill(32*mib, alloc.Dist{Kind: alloc.Uniform, Min: 64, Max: 4096}), pin, Free(alloc.Selection{Pattern: alloc.All}), Trim()}})
			if !strings.Contains(r.Allocator, "libc.so") {
				t.Skipf("malloc is served by %s, not glibc", r.Allocator)
			}
			filled, freed, trimmed := r.Phases[0], r.Phases[2], r.Phases[3]
			// Poke frees its object into the tcache, where it stays in use.
			if freed.Anon < filled.Anon-mib {
				t.Errorf("after %s and free-all: anon %.1f MiB, %.1f after fill; want the top pinned", pin, mb(freed.Anon), mb(filled.Anon))
			}
			if got := trimmed.Anon - r.Start.Anon; got > 4*mib {
				t.Errorf("after trim: %.1f MiB above start, want at most 4 MiB", mb(got))
			}
		})
	}
}

// checkFill: the fill touched every page of its objects, plus at most the
// allocator's rounding (size classes at most 25% apart, glibc's 16 B per
// chunk on 64 B and up), the slot array and metadata.
func checkFill(t *testing.T, start, filled Phase, want int64) {
	t.Helper()
	if got := filled.Anon - start.Anon; got < want || got > want+want/4+4*mib {
		t.Errorf("fill of %d MiB raised anon by %.1f MiB", want/mib, mb(got))
	}
}

// tcachePinned models glibc's free-all in allocation order: it replays the
// twin's size stream (the engine's xoshiro256** seeded by splitmix64,
// Lemire's multiply for uniform sizes), lays out chunks as glibc does
// ((size+8+15) &^ 15, contiguous from the top chunk) and parks the first 7
// freed chunks of each tcache bin (sizes up to 1032 B). It returns the end of
// the highest parked chunk, from the start of the fill. detail, the twin's
// "N objects, B bytes", must match the model's stream.
func tcachePinned(t *testing.T, seed uint64, bytes, lo, hi int64, detail string) int64 {
	t.Helper()
	var s [4]uint64
	for i := range s {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		s[i] = z ^ (z >> 31)
	}
	next := func() uint64 {
		r := bits.RotateLeft64(s[1]*5, 7) * 9
		t := s[1] << 17
		s[2] ^= s[0]
		s[3] ^= s[1]
		s[1] ^= s[2]
		s[0] ^= s[3]
		s[2] ^= t
		s[3] = bits.RotateLeft64(s[3], 45)
		return r
	}
	var done, n, off, pinned int64
	parked := map[int64]int{}
	for done < bytes {
		r, _ := bits.Mul64(next(), uint64(hi-lo+1))
		size := lo + int64(r)
		done += size
		n++
		chunk := (size + 8 + 15) &^ 15
		off += chunk
		if size <= 1032 {
			if bin := (chunk - 32 + 15) / 16; parked[bin] < 7 {
				parked[bin]++
				pinned = off
			}
		}
	}
	if want := fmt.Sprintf("%d objects, %d bytes", n, done); detail != want {
		t.Fatalf("twin filled %q, the model %q: the model no longer replays the engine's sizes", detail, want)
	}
	return pinned
}
