// Package image builds memstorm's OCI image from what is on the machine,
// without a daemon or a registry: one layer holding the root of package
// rootfs (memstorm, its libraries, the allocator libraries), a
// configuration that runs as uid 1000 with memstorm on PATH and /out as
// the working directory, written as one tarball that docker load and
// podman load accept (Write). The image is reproducible: the same files
// give the same digest.
package image

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/memstorm/memstorm/internal/rootfs"
)

// User is the user the image runs as: not root, so that a container of it
// needs no privilege; memstorm falls back to the container's own cgroup.
const User = "1000:1000"

// Build makes the image of root; version is recorded as the image's
// org.opencontainers.image.version label.
func Build(root *rootfs.Root, version string) (v1.Image, error) {
	var layerTar bytes.Buffer
	if err := root.WriteTar(&layerTar); err != nil {
		return nil, err
	}
	data := layerTar.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("making the image layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return nil, fmt.Errorf("making the image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = runtime.GOARCH, runtime.GOOS
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config = v1.Config{
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		Cmd:        []string{"memstorm", "help"},
		User:       User,
		WorkingDir: "/out",
		Volumes:    map[string]struct{}{"/out": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":   "memstorm",
			"org.opencontainers.image.version": version,
		},
		StopSignal: "SIGTERM",
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("making the image's configuration: %w", err)
	}
	return img, nil
}
