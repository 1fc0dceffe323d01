package rootfs

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/internal/testenv"
)

// buildMemstorm builds ./cmd/memstorm for the test.
func buildMemstorm(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "memstorm")
	cmd := exec.Command("go", "build", "-o", exe, "../../cmd/memstorm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building memstorm: %v\n%s", err, out)
	}
	return exe
}

// requireAllocators needs every allocator library installed.
func requireAllocators(t *testing.T) {
	t.Helper()
	for _, n := range allocators.Names() {
		if n != allocators.Glibc {
			testenv.RequireAllocator(t, n)
		}
	}
}

// TestCollectResolvesInTheRoot: every path ldd names for memstorm and the
// allocators resolves inside the written root (through the host's links,
// such as /lib -> usr/lib) to a copy of the host's file; the tar layer
// holds the same entries.
func TestCollectResolvesInTheRoot(t *testing.T) {
	testenv.RequireCommand(t, "ldd", "libc-bin")
	requireAllocators(t)
	exe := buildMemstorm(t)
	root, err := Collect(exe)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "root")
	if err := root.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	objects := []string{exe}
	for _, n := range allocators.Names() {
		if c, err := allocators.Resolve(n); err == nil && c.Preload != "" {
			objects = append(objects, c.Preload)
		}
	}
	for _, o := range objects {
		libs, err := libraries(o)
		if err != nil {
			t.Fatal(err)
		}
		if o != exe {
			libs = append(libs, o)
		}
		for _, l := range libs {
			in, err := resolveIn(dir, l)
			if err != nil {
				t.Errorf("%s (for %s) in the root: %v", l, o, err)
				continue
			}
			if !sameContent(t, in, l) {
				t.Errorf("%s in the root differs from the host's", l)
			}
		}
	}
	if !sameContent(t, filepath.Join(dir, BinaryPath), exe) {
		t.Errorf("%s is not the binary", BinaryPath)
	}
	for _, m := range MountPoints {
		if fi, err := os.Stat(filepath.Join(dir, m)); err != nil || !fi.IsDir() {
			t.Errorf("mount point %s: %v", m, err)
		}
	}
	var layer bytes.Buffer
	if err := root.WriteTar(&layer); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	tr := tar.NewReader(&layer)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names["/"+filepath.Clean(h.Name)] = true
	}
	for _, p := range root.Paths() {
		if !names[p] {
			t.Errorf("layer lacks %s", p)
		}
	}
	if len(names) != len(root.Entries) {
		t.Errorf("layer has %d entries, root %d", len(names), len(root.Entries))
	}
}

// resolveIn resolves p inside the root at dir as the container sees it:
// an absolute link target starts from the root, not from the host's /.
func resolveIn(dir, p string) (string, error) {
	for range 40 {
		parts := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
		cur, linked := "/", false
		for i, part := range parts {
			cur = filepath.Join(cur, part)
			fi, err := os.Lstat(filepath.Join(dir, cur))
			if err != nil {
				return "", err
			}
			if fi.Mode()&os.ModeSymlink == 0 {
				continue
			}
			target, err := os.Readlink(filepath.Join(dir, cur))
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(cur), target)
			}
			p, linked = filepath.Join(append([]string{target}, parts[i+1:]...)...), true
			break
		}
		if !linked {
			return filepath.Join(dir, cur), nil
		}
	}
	return "", errors.New("too many links: " + p)
}

func sameContent(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Error(err)
		return false
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Error(err)
		return false
	}
	return bytes.Equal(x, y)
}
