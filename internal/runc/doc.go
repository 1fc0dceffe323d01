// Package runc runs memstorm in a real container with runc, without a
// daemon or a registry: a bundle of a read-only root (package rootfs) and a
// config.json written from the OCI runtime specification's Go types, with
// a memory limit, an unprivileged user and /out bind-mounted for the run
// directories. The container tests (make test-container) and the image
// test use it; runc is the runtime docker, podman and containerd run
// containers with, so what holds here is what their users see, less the
// daemons' own settings (listed in the README).
package runc
