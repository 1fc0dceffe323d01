package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
)

// makeBundle writes a bundle tree with one run directory (its files'
// contents do not matter to this package) and returns its root.
func makeBundle(t *testing.T, node string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "memstorm-"+node)
	run := filepath.Join(root, RunsDir, "r1")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"summary.json": "{}", "samples.csv": "t_s\n", "memory.png": "png", "report.html": "<html>"} {
		if err := os.WriteFile(filepath.Join(run, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := &Manifest{Node: node, Command: []string{"memstorm", "run", "x"}, Runs: []Run{{Dir: "runs/r1", Scenario: "x", Allocator: "glibc"}}}
	if err := Write(root, m); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestPackFindRoundTrip(t *testing.T) {
	root := makeBundle(t, "node-a")
	results := filepath.Dir(root)
	tarball := root + ".tar.gz"
	if err := Pack(root, tarball); err != nil {
		t.Fatal(err)
	}
	if err := WriteDone(results, tarball); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(results, DoneFile)); err != nil || string(b) != tarball {
		t.Errorf("done holds %q (%v), want %q", b, err, tarball)
	}
	f := &Finder{}
	// The tarball alone: the figures and pages stay out of it.
	bs, err := f.Find(tarball)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].Manifest.Node != "node-a" || bs[0].Source != tarball {
		t.Fatalf("found %+v", bs)
	}
	for name, want := range map[string]bool{"summary.json": true, "samples.csv": true, "memory.png": false, "report.html": false} {
		if _, ok := bs[0].tree.Files["runs/r1/"+name]; ok != want {
			t.Errorf("%s in the tarball: %v, want %v", name, ok, want)
		}
	}
	if got := bs[0].Display("runs/r1/summary.json"); got != tarball+":runs/r1/summary.json" {
		t.Errorf("Display = %q, want the tarball and the path in it", got)
	}
	// The results directory: the bundle and its tarball, both found.
	bs, err = f.Find(results)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 {
		t.Errorf("found %d bundles in the results directory, want the tree and the tarball", len(bs))
	}
}

func TestFindNothing(t *testing.T) {
	dir := t.TempDir()
	_, err := (&Finder{}).Find(dir)
	var ie *rundir.InputError
	if !errors.As(err, &ie) || ie.Path != dir || !strings.Contains(err.Error(), "holds no memstorm bundle") {
		t.Errorf("Find(empty dir) = %v, want an InputError naming it", err)
	}
}

func TestFindRefusesMissingRun(t *testing.T) {
	root := makeBundle(t, "node-a")
	if err := os.RemoveAll(filepath.Join(root, RunsDir, "r1")); err != nil {
		t.Fatal(err)
	}
	_, err := (&Finder{}).Find(root)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, ManifestFile)) || !strings.Contains(err.Error(), "runs/r1") {
		t.Errorf("Find = %v, want an error naming bundle.json and the missing run", err)
	}
}

func TestFindRefusesLinkedManifest(t *testing.T) {
	root := makeBundle(t, "node-a")
	m := filepath.Join(root, ManifestFile)
	if err := os.Rename(m, m+".real"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(m+".real", m); err != nil {
		t.Fatal(err)
	}
	_, err := (&Finder{}).Find(root)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Find = %v, want a refusal of the link", err)
	}
}

// tarOf builds a tarball of the given headers, each file's body being
// its name; gz compresses it.
func tarOf(t *testing.T, gz bool, hdrs ...*tar.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	var w = &b
	var zw *gzip.Writer
	tw := tar.NewWriter(w)
	if gz {
		zw = gzip.NewWriter(w)
		tw = tar.NewWriter(zw)
	}
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(h.Name))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg && h.Size == int64(len(h.Name)) {
			if _, err := tw.Write([]byte(h.Name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// headerOnly is a tarball cut after the header of h: its size is what
// a reader is told, before any byte of the body.
func headerOnly(t *testing.T, h *tar.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tar.NewWriter(&b).WriteHeader(h); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func reg(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644} }

func TestReadTarballRefuses(t *testing.T) {
	good := tarOf(t, true, reg("bundle.json"))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not a tarball", []byte("hello, this is not a tarball at all, not even close to one......"), "not a tarball"},
		{"empty", tarOf(t, false), "empty tarball"},
		{"truncated gzip", good[:len(good)/2], "cut short"},
		{"bad gzip", []byte{0x1f, 0x8b, 0, 0}, "not a gzip file"},
		{"dot-dot", tarOf(t, true, reg("../evil")), "b.tar.gz:../evil: is not a local path"},
		{"absolute", tarOf(t, true, reg("/etc/evil")), "is not a local path"},
		{"symlink", tarOf(t, true, &tar.Header{Name: "bundle.json", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), "b.tar.gz:bundle.json: is a symbolic link"},
		{"hard link", tarOf(t, true, reg("a"), &tar.Header{Name: "b", Typeflag: tar.TypeLink, Linkname: "a"}), "is a hard link"},
		{"fifo", tarOf(t, true, &tar.Header{Name: "p", Typeflag: tar.TypeFifo}), "is a named pipe"},
		{"twice", tarOf(t, true, reg("a"), reg("./a")), "appears twice"},
		{"bomb", headerOnly(t, &tar.Header{Name: "z", Typeflag: tar.TypeReg, Size: MaxTarBytes + 1, Mode: 0o644}), "unpacks to more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "b.tar.gz")
			if err := os.WriteFile(src, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadTarballFile(src, "b.tar.gz")
			var ie *rundir.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadTarballFile = %v (%T), want an InputError with %q", err, err, tc.want)
			}
		})
	}
}
