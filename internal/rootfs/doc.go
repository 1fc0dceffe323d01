// Package rootfs lays out the smallest root file system memstorm runs in:
// the memstorm binary, the shared libraries ldd names for it, the
// allocator libraries --allocator preloads and theirs, each at the path
// the dynamic loader and package allocators look for it (with the host's
// symbolic links along the way, such as /lib -> usr/lib on a merged-/usr
// host), and the empty mount points a container runtime fills (/proc,
// /sys, /dev, /tmp, /out). No shell, no package manager: what the
// container tests and the OCI image of make image hold.
//
// The list is built from the machine it runs on (Collect); Dir writes it
// to a directory (a runc bundle's root), Tar as a tar stream (an image
// layer).
package rootfs
