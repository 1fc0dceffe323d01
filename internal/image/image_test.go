package image

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/internal/rootfs"
	"github.com/memstorm/memstorm/internal/testenv"
)

// buildImage builds memstorm and its image, and writes the tarball.
func buildImage(t *testing.T) (tarPath string, img v1.Image, root *rootfs.Root) {
	t.Helper()
	testenv.RequireCommand(t, "ldd", "libc-bin")
	for _, n := range allocators.Names() {
		if n != allocators.Glibc {
			testenv.RequireAllocator(t, n)
		}
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "memstorm")
	if out, err := exec.Command("go", "build", "-o", exe, "../../cmd/memstorm").CombinedOutput(); err != nil {
		t.Fatalf("building memstorm: %v\n%s", err, out)
	}
	root, err := rootfs.Collect(exe)
	if err != nil {
		t.Fatal(err)
	}
	img, err = Build(root, "test")
	if err != nil {
		t.Fatal(err)
	}
	tarPath = filepath.Join(dir, "image.tar")
	var buf bytes.Buffer
	if err := Write(&buf, img, "memstorm:test"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tarPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same files give the same tarball.
	img2, err := Build(root, "test")
	if err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	if err := Write(&buf2, img2, "memstorm:test"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Errorf("two builds of the same files differ")
	}
	return tarPath, img, root
}

// TestImageLoads: the tarball reads back as the same image both ways a
// loader reads it (docker-archive manifest.json; OCI layout index.json,
// tagged by its annotations), with the configuration memstorm needs, and
// its one layer holds every path of the root.
func TestImageLoads(t *testing.T) {
	path, built, root := buildImage(t)
	d, err := built.Digest()
	if err != nil {
		t.Fatal(err)
	}
	digest := d.String()
	tag, err := name.NewTag("memstorm:test")
	if err != nil {
		t.Fatal(err)
	}
	docker, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatalf("reading the docker-archive manifest.json: %v", err)
	}
	// docker-archive keeps no manifest (a loader writes its own): the
	// configuration and the layers are what must be the same.
	for _, f := range []func(v1.Image) (string, error){configName, layerDigests} {
		want, err := f(built)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f(docker); err != nil || got != want {
			t.Errorf("docker-archive image: %s (%v), want %s", got, err, want)
		}
	}
	oci := filepath.Join(t.TempDir(), "oci")
	untar(t, path, oci)
	idx, err := layout.ImageIndexFromPath(oci)
	if err != nil {
		t.Fatalf("reading the OCI layout: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != digest ||
		im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "test" ||
		im.Manifests[0].Annotations["io.containerd.image.name"] != "docker.io/library/memstorm:test" {
		t.Fatalf("OCI index %+v, want the image %s tagged test", im.Manifests, digest)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != User || c.WorkingDir != "/out" || len(c.Cmd) == 0 || c.Cmd[0] != "memstorm" || len(c.Entrypoint) != 0 || c.Env[0] != "PATH=/usr/local/bin:/usr/bin:/bin" {
		t.Errorf("configuration %+v: want user %s, /out, memstorm on PATH as the command", c, User)
	}
	names := map[string]bool{}
	tr := tar.NewReader(mutate.Extract(img))
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
			t.Errorf("the image lacks %s", p)
		}
	}
}

// untar unpacks the regular files and directories of the tarball at path.
func untar(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func configName(img v1.Image) (string, error) {
	h, err := img.ConfigName()
	return h.String(), err
}

func layerDigests(img v1.Image) (string, error) {
	ls, err := img.Layers()
	if err != nil {
		return "", err
	}
	var s string
	for _, l := range ls {
		d, err := l.DiffID()
		if err != nil {
			return "", err
		}
		s += d.String() + " "
	}
	return s, nil
}
