package runc

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/memstorm/memstorm/internal/image"
	"github.com/memstorm/memstorm/rundir"
)

// unpacked is an image's file system, written by WriteDir as a container
// runtime unpacks it.
type unpacked struct{ img v1.Image }

// WriteDir unpacks the image's flattened layers: directories, regular
// files and symbolic links, with their modes.
func (u unpacked) WriteDir(dir string) error {
	rc := mutate.Extract(u.img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		mode := os.FileMode(h.Mode).Perm()
		if h.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			err = os.Chmod(p, mode)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		case tar.TypeReg:
			var f *os.File
			if f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode); err == nil {
				_, err = io.Copy(f, tr)
				err = firstErr(err, f.Close())
			}
		default:
			err = fmt.Errorf("unexpected entry %s of type %c", h.Name, h.Typeflag)
		}
		if err != nil {
			return fmt.Errorf("unpacking %s: %w", h.Name, err)
		}
	}
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// TestContainerFromImage: the image of make image, written as a tarball
// and read back as docker load reads it (manifest.json), unpacked and run
// in runc with its own configuration (user, environment, working
// directory): docker run --memory 512m IMAGE memstorm run --limit inherit
// oom-at-limit, killed at 512 MiB, report written to /out.
func TestContainerFromImage(t *testing.T) {
	c := newContainer(t)
	img, err := image.Build(c.root, "test")
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "memstorm-image.tar")
	var buf bytes.Buffer
	if err := image.Write(&buf, img, "memstorm:test"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tarPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("memstorm:test")
	loaded, err := tarball.ImageFromPath(tarPath, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := loaded.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	uid, gid, ok := strings.Cut(cfg.User, ":")
	u, uerr := strconv.ParseUint(uid, 10, 32)
	g, gerr := strconv.ParseUint(gid, 10, 32)
	if !ok || uerr != nil || gerr != nil || u == 0 {
		t.Fatalf("image user %q: want UID:GID, not root", cfg.User)
	}
	var env []string
	for _, e := range cfg.Env {
		if !strings.HasPrefix(e, "PATH=") {
			env = append(env, e)
		}
	}
	const limit = 512 << 20
	id := fmt.Sprintf("memstorm-image-%d", os.Getpid())
	bundle := filepath.Join(t.TempDir(), "bundle")
	b, err := NewBundle(c.runc, bundle, unpacked{loaded}, Options{
		Args: []string{"memstorm", "run", "--quiet", "--limit", "inherit", "--out", "image-run", "oom-at-limit"},
		Env:  env, Cwd: cfg.WorkingDir, UID: uint32(u), GID: uint32(g),
		MemoryLimit: limit, Out: c.out, CgroupsPath: c.cgroupsPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := c.runBundle(t, b, id)
	if res.ExitCode != 0 {
		t.Errorf("exit %d, want 0", res.ExitCode)
	}
	s := summaryOf(t, filepath.Join(c.out, "image-run"))
	if lim, ok := s.Cgroup.Limit.Bytes(); !ok || lim != limit || s.Outcome != rundir.OutcomeOOMKilled || !s.Passed {
		t.Errorf("limit %v, outcome %s, passed %v: want killed at the container's 512 MiB", s.Cgroup.Limit, s.Outcome, s.Passed)
	}
}
