package stress

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/memstorm/memstorm/wire"
)

// Allocators that memstorm knows by name, with the shared library that
// provides each (Debian's packages) and the package to install.
var knownAllocators = map[string]struct{ lib, pkg string }{
	"jemalloc": {"libjemalloc.so.2", "libjemalloc2"},
	"tcmalloc": {"libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"},
	"mimalloc": {"libmimalloc.so.2", "libmimalloc2.0"},
}

// AllocatorNames lists the allocators --allocator takes by name.
func AllocatorNames() []string {
	names := []string{"glibc"}
	for n := range knownAllocators {
		names = append(names, n)
	}
	sort.Strings(names[1:])
	return names
}

var libDirs = []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"}

// preloadFor resolves an --allocator value to the library to LD_PRELOAD
// ("" for glibc, which serves malloc already).
func preloadFor(name string) (string, error) {
	switch name {
	case "", "glibc":
		return "", nil
	}
	if strings.ContainsRune(name, '/') {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("allocator library %s: %w", name, err)
		}
		return filepath.Abs(name)
	}
	k, ok := knownAllocators[name]
	if !ok {
		return "", fmt.Errorf("unknown allocator %q: want one of %s, or the path of a malloc library", name, strings.Join(AllocatorNames(), ", "))
	}
	for _, d := range libDirs {
		p := filepath.Join(d, k.lib)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("allocator %s: %s not found in %s (install Debian's %s: apt-get install %s)",
		name, k.lib, strings.Join(libDirs, ", "), k.pkg, k.pkg)
}

// expectedAllocator is the name alloc.Detect must report for a requested
// allocator ("" when any is fine, as for a library given by path).
func expectedAllocator(requested string) string {
	switch requested {
	case "", "glibc":
		return "glibc"
	}
	if _, ok := knownAllocators[requested]; ok {
		return requested
	}
	return ""
}

// workerEnviron builds the worker's environment: memstorm's own, minus any
// LD_PRELOAD (a run's allocator is the one it asks for), plus the
// scenario's env and the worker marker.
func workerEnviron(base []string, extra map[string]string, preload string) []string {
	env := make([]string, 0, len(base)+len(extra)+2)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k == "LD_PRELOAD" || k == wire.WorkerEnv || k == "GODEBUG" {
			continue
		}
		if _, over := extra[k]; over {
			continue
		}
		env = append(env, kv)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	if preload != "" {
		env = append(env, "LD_PRELOAD="+preload)
	}
	// The worker's own Go heap stays small and out of the way: no
	// background scavenger surprises in the measured RSS.
	env = append(env, wire.WorkerEnv+"=1", "GODEBUG=madvdontneed=1")
	return env
}
