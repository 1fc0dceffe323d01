package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Write writes img, tagged tag (e.g. memstorm:0.3.0), as one tarball in
// both layouts a loader may look for, as docker save does since Docker
// 25: an OCI image layout (oci-layout, index.json, blobs/sha256/...) for
// podman load and current docker load, and the docker-archive
// manifest.json over the same blobs for older docker load (20.10).
// go-containerregistry writes each layout alone (layout.Write to a
// directory, tarball.Write without the OCI index); the archive here puts
// its blobs and descriptors into one stream.
func Write(w io.Writer, img v1.Image, tag string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", tag, err)
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	desc, err := manifestDescriptor(img, manifest, ref)
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	put := func(path string, data []byte) error {
		h := &tar.Header{Name: path, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	blob := func(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }
	index, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{desc}})
	if err != nil {
		return err
	}
	docker := tarball.Manifest{{Config: blob(cfgName), RepoTags: []string{ref.String()}}}
	if err := put("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if err := put(blob(desc.Digest), manifest); err != nil {
		return err
	}
	if err := put(blob(cfgName), config); err != nil {
		return err
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("reading layer %s: %w", d, err)
		}
		if err := put(blob(d), buf.Bytes()); err != nil {
			return err
		}
		docker[0].Layers = append(docker[0].Layers, blob(d))
	}
	mj, err := json.Marshal(docker)
	if err != nil {
		return err
	}
	if err := put("index.json", index); err != nil {
		return err
	}
	if err := put("manifest.json", mj); err != nil {
		return err
	}
	return tw.Close()
}

// manifestDescriptor describes img's manifest in the OCI index, named by
// the annotations containerd and podman read the tag from.
func manifestDescriptor(img v1.Image, manifest []byte, ref name.Tag) (v1.Descriptor, error) {
	d, err := img.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{
		MediaType: mt, Size: int64(len(manifest)), Digest: d,
		Annotations: map[string]string{
			"io.containerd.image.name":          containerdName(ref),
			"org.opencontainers.image.ref.name": ref.TagStr(),
		},
	}, nil
}

// containerdName is the image's full name as containerd and docker save
// write it: docker.io/library/memstorm:latest for memstorm:latest.
func containerdName(ref name.Tag) string {
	reg := ref.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + ref.Context().RepositoryStr() + ":" + ref.TagStr()
}
