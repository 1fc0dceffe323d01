// Command image writes memstorm's OCI image as a tarball that docker load
// and podman load accept, from the memstorm binary given and the
// libraries on this machine (package internal/image); make image runs it.
//
//	go run ./deploy/image -binary bin/memstorm -o bin/memstorm-image.tar -tag memstorm:latest
package main

import (
	"bufio"
	"debug/buildinfo"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/memstorm/memstorm/internal/image"
	"github.com/memstorm/memstorm/internal/rootfs"
)

func main() {
	bin := flag.String("binary", "bin/memstorm", "the memstorm binary to put in the image")
	out := flag.String("o", "bin/memstorm-image.tar", "the tarball to write")
	tag := flag.String("tag", "memstorm:latest", "the image's name and tag")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "image: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := run(*bin, *out, *tag); err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
}

func run(bin, out, tag string) (err error) {
	version := "unknown"
	if bi, err := buildinfo.ReadFile(bin); err == nil {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				version += " " + s.Value
			}
		}
	}
	root, err := rootfs.Collect(bin)
	if err != nil {
		return err
	}
	img, err := image.Build(root, version)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".memstorm-image-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	w := bufio.NewWriter(tmp)
	if err := image.Write(w, img, tag); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	d, _ := img.Digest()
	fmt.Printf("%s: %s (%s), load it with docker load -i %s or podman load -i %s\n", out, tag, d, out, out)
	return nil
}
