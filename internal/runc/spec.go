package runc

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options describe the container.
type Options struct {
	Args        []string // the process, e.g. /usr/local/bin/memstorm run ...
	Env         []string // besides PATH
	Cwd         string   // the working directory; default /
	UID, GID    uint32   // the process's user; 0 is root
	MemoryLimit int64    // bytes: linux.resources.memory.limit (and swap, so that none is used); 0 for none
	Out         string   // host directory bind-mounted read-write at /out
	CgroupsPath string   // the container's cgroup, as runc takes it
}

// Spec returns the container's configuration: the namespaces, mounts and
// masked paths of runc's own default (runc spec), a read-only root, no
// capabilities, no new privileges, and opt's process, user, memory limit
// and /out.
func Spec(opt Options) *specs.Spec {
	nofile := uint64(1024)
	cwd := opt.Cwd
	if cwd == "" {
		cwd = "/"
	}
	var memory *specs.LinuxMemory
	if opt.MemoryLimit > 0 {
		limit := opt.MemoryLimit
		memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	}
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			User:            specs.User{UID: opt.UID, GID: opt.GID},
			Args:            opt.Args,
			Env:             append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, opt.Env...),
			Cwd:             cwd,
			NoNewPrivileges: true,
			Capabilities:    &specs.LinuxCapabilities{},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: nofile, Soft: nofile}},
		},
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: "memstorm",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=16m"}},
			{Destination: "/out", Type: "bind", Source: opt.Out, Options: []string{"rbind", "rw"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: opt.CgroupsPath,
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
				Memory:  memory,
			},
			Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace}, {Type: specs.MountNamespace}},
			MaskedPaths: []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
				"/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}
