package alloc

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// extentFiles lists the files the engine holds open in dir (through
// /proc/self/fd), with the bytes each has allocated (st_blocks).
func extentFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range ents {
		p := filepath.Join("/proc/self/fd", e.Name())
		link, err := os.Readlink(p)
		if err != nil || !strings.HasPrefix(link, dir+"/") {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			continue
		}
		out[link] = st.Blocks * 512
	}
	return out
}

// TestFileExtents: via file and via tmpfs write each object into an extent
// of one unnamed (or at once unlinked) file per engine, whose blocks hold
// the bytes written; freeing every other object punches its hole, the
// allocated bytes falling by half; a 33 MiB object keeps its size in its
// extent (the slot has no room for it) and frees as 33 MiB; closing the
// engine closes the file. Nothing is ever named in the directory.
func TestFileExtents(t *testing.T) {
	for _, tc := range []struct {
		via Via
		dir string
	}{{File, t.TempDir()}, {Tmpfs, "/dev/shm"}} {
		t.Run(tc.via.String(), func(t *testing.T) {
			if st, err := os.Stat(tc.dir); err != nil || !st.IsDir() {
				t.Skipf("no %s: %v", tc.dir, err)
			}
			if err := SetFileDirs(tc.dir, tc.dir); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = SetFileDirs("/tmp", "/dev/shm") })
			before := extentFiles(t, tc.dir)
			e, c := newEngine(t, 7)
			const objs, size = 16, mib + 100
			r := mustFill(t, e, FillSpec{Via: tc.via, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: objs, Touch: true})
			if r.Count != objs || c.Load().LiveBytes != objs*size {
				t.Fatalf("fill: %+v, live %d", r, c.Load().LiveBytes)
			}
			files := extentFiles(t, tc.dir)
			var name string
			var held int64
			for n, b := range files {
				if _, old := before[n]; !old {
					name, held = n, b
				}
			}
			if name == "" {
				t.Fatalf("no open file of the engine in %s: %v", tc.dir, files)
			}
			if !strings.HasSuffix(name, "(deleted)") {
				t.Errorf("the engine's file %s has a name", name)
			}
			// Each object's extent is whole pages: 1 MiB + 1 page.
			if want := int64(objs * (mib + 4096)); held < want || held > want+mib {
				t.Errorf("file holds %d bytes, want %d (+ metadata)", held, want)
			}
			b, n, err := e.Free(Selection{Pattern: EveryNth, N: 2})
			if err != nil || n != objs/2 || b != objs/2*size {
				t.Fatalf("free every other = %d, %d, %v", b, n, err)
			}
			after := extentFiles(t, tc.dir)[name]
			if want := held / 2; after < want-mib || after > want+mib {
				t.Errorf("after freeing half, the file holds %d bytes, want about %d", after, want)
			}
			mustFill(t, e, FillSpec{Via: tc.via, Dist: Dist{Kind: Fixed, Value: 33 * mib}, MaxCount: 1, Touch: true})
			b, n, err = e.Free(Selection{Pattern: LargerThan, Size: 32 * mib})
			if err != nil || n != 1 || b != 33*mib {
				t.Fatalf("free of the 33 MiB object = %d, %d, %v", b, n, err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if _, open := extentFiles(t, tc.dir)[name]; open {
				t.Errorf("the file %s is still open after Close", name)
			}
			ents, _ := os.ReadDir(tc.dir)
			for _, d := range ents {
				if strings.HasPrefix(d.Name(), "memstorm-") {
					t.Errorf("a name was left in %s: %s", tc.dir, d.Name())
				}
			}
		})
	}
}

// TestSharedMappings: via memfd and via shm map shared memory per object;
// touched, it is RssShmem (the worker's shared pages, not anonymous ones),
// and freeing unmaps it, the last reference, which frees the pages.
func TestSharedMappings(t *testing.T) {
	for _, via := range []Via{Memfd, Shm} {
		t.Run(via.String(), func(t *testing.T) {
			e, _ := newEngine(t, 8)
			const objs, size = 16, 2 * mib
			before := statusBytes(t, "RssShmem")
			anon := statusBytes(t, "RssAnon")
			mustFill(t, e, FillSpec{Via: via, Dist: Dist{Kind: Fixed, Value: size}, MaxCount: objs, Touch: true})
			grown := statusBytes(t, "RssShmem") - before
			if grown < objs*size || grown > objs*size+rssSlack {
				t.Errorf("RssShmem grew by %d KiB, want %d MiB", grown>>10, objs*size/mib)
			}
			if d := statusBytes(t, "RssAnon") - anon; d > rssSlack {
				t.Errorf("RssAnon grew by %d KiB: the pages are not shared memory", d>>10)
			}
			if _, n, err := e.Free(Selection{Pattern: All}); err != nil || n != objs {
				t.Fatalf("free all: %d, %v", n, err)
			}
			if left := statusBytes(t, "RssShmem") - before; left > rssSlack {
				t.Errorf("RssShmem still %d KiB above the start after the free", left>>10)
			}
			ents, _ := os.ReadDir("/dev/shm")
			for _, d := range ents {
				if strings.HasPrefix(d.Name(), "memstorm-") {
					t.Errorf("a shm name was left: /dev/shm/%s", d.Name())
				}
			}
		})
	}
}
