package vm

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/scenarios"
)

// kernelMeta is the Debian package whose dependency names the kernel the VM
// boots: the current cloud kernel (no drivers the VM does not need).
const kernelMeta = "linux-image-cloud-amd64"

// zramModules are loaded in this order by init.sh (zram needs zsmalloc and
// its default compressor, lzo-rle).
var zramModules = []string{"mm/zsmalloc.ko", "crypto/lzo.ko", "crypto/lzo-rle.ko", "drivers/block/zram/zram.ko"}

// kernelPackage names the package kernelMeta depends on, as apt sees it.
func kernelPackage(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("apt-cache", "depends", kernelMeta).Output()
	if err != nil || !bytes.Contains(out, []byte("Depends:")) {
		// A fresh machine may have no package lists yet.
		run(t, "", "apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-qq")
		out, err = exec.Command("apt-cache", "depends", kernelMeta).Output()
	}
	if err != nil {
		t.Fatalf("apt-cache depends %s: %v", kernelMeta, err)
	}
	m := regexp.MustCompile(`Depends: (linux-image-[0-9][^\s]*)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("apt-cache depends %s names no linux-image-<version> package:\n%s", kernelMeta, out)
	}
	return string(m[1])
}

// kernel returns the unpacked kernel package below cache, downloading it
// first when it is not there (apt-get download and dpkg-deb -x: nothing is
// installed into the host). It returns the vmlinuz and the modules directory.
func kernel(t *testing.T, cache string) (vmlinuz, modules string) {
	t.Helper()
	pkg := kernelPackage(t)
	dir := filepath.Join(cache, pkg)
	find := func() (string, string, bool) {
		vs, _ := filepath.Glob(filepath.Join(dir, "boot", "vmlinuz-*"))
		ms, _ := filepath.Glob(filepath.Join(dir, "lib", "modules", "*"))
		if len(vs) == 1 && len(ms) == 1 {
			return vs[0], ms[0], true
		}
		return "", "", false
	}
	if v, m, ok := find(); ok {
		return v, m
	}
	dl, err := os.MkdirTemp(cache, "download-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dl)
	os.Chmod(dl, 0o755) // apt-get download runs as _apt where it can
	run(t, dl, "apt-get", "download", pkg)
	debs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*.deb"))
	if len(debs) != 1 {
		t.Fatalf("apt-get download %s left %v in %s", pkg, debs, dl)
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	run(t, "", "dpkg-deb", "-x", debs[0], tmp)
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	v, m, ok := find()
	if !ok {
		t.Fatalf("%s holds no boot/vmlinuz-* and lib/modules/* after unpacking %s", dir, debs[0])
	}
	return v, m
}

// run runs a command on the host and fails the test with its output.
func run(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// libWithoutMalloc is the library cmd/memstorm's tests name as an
// --allocator that defines no malloc.
const libWithoutMalloc = "/lib/x86_64-linux-gnu/libz.so.1"

// timeBound are the built-ins whose shape depends on wall-clock time in a
// way emulation breaks: jemalloc-decay frees for longer than its 1 s decay
// time under TCG, so the purge it shows is absent happens during the free.
var timeBound = map[string]bool{"jemalloc-decay": true}

// testPackages are the packages whose tests touch real cgroups; each is
// built with go test -c and run in the VM from its source directory.
var testPackages = map[string]string{
	"cgroup.test":   "./cgroup",
	"stress.test":   "./stress",
	"memstorm.test": "./cmd/memstorm",
}

// stage lays out the initramfs tree in dir: busybox, memstorm, the test
// binaries, the sources their tests read (testdata), the libraries ldd
// names for all of them and for every allocator memstorm knows, the zram
// modules, init.sh and jobs.sh.
func stage(t *testing.T, repo, dir, modules string) {
	t.Helper()
	for _, d := range []string{"bin", "t", "src", "modules", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("no busybox (apt-get install busybox-static): %v", err)
	}
	if out, _ := exec.Command("ldd", bb).CombinedOutput(); !bytes.Contains(out, []byte("not a dynamic")) {
		t.Fatalf("%s is not static (apt-get install busybox-static): ldd says %s", bb, out)
	}
	copyFile(t, bb, filepath.Join(dir, "bin", "busybox"), 0o755)
	t.Log("building memstorm and the test binaries")
	run(t, repo, "go", "build", "-o", filepath.Join(dir, "bin", "memstorm"), "./cmd/memstorm")
	for bin, pkg := range testPackages {
		run(t, repo, "go", "test", "-c", "-o", filepath.Join(dir, "t", bin), pkg)
	}
	copyFile(t, filepath.Join(repo, "test", "vm", "init.sh"), filepath.Join(dir, "init"), 0o755)
	copyFile(t, filepath.Join(repo, "test", "vm", "jobs.sh"), filepath.Join(dir, "jobs"), 0o644)
	copyFile(t, filepath.Join(repo, "test", "vm", "clicheck.sh"), filepath.Join(dir, "bin", "clicheck"), 0o755)
	copyFile(t, filepath.Join(repo, "test", "vm", "k8scheck.sh"), filepath.Join(dir, "bin", "k8scheck"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("root:x:0:0:root:/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The built-ins whose shape the VM checks: all but the time-bound ones
	// from the root placement; those with a limit (the cgroup's own
	// behaviour: OOM kills, reclaim at the limit) from the non-root one.
	var shapes, limited []string
	for _, n := range scenarios.Names() {
		sc, err := scenarios.Load(n)
		if err != nil {
			t.Fatal(err)
		}
		if timeBound[n] {
			continue
		}
		shapes = append(shapes, regexp.QuoteMeta(n))
		if sc.Limit != nil && sc.Limit.Max > 0 {
			limited = append(limited, regexp.QuoteMeta(n))
		}
	}
	// MEMSTORM_VM_ONLY (an extended regex of job names) runs only those
	// jobs: for iterating on a few; the stage itself runs them all.
	only := os.Getenv(onlyEnv)
	if strings.ContainsRune(only, '\'') {
		t.Fatalf("%s=%q: a regex without single quotes, please", onlyEnv, only)
	}
	env := fmt.Sprintf("SHAPES='%s'\nLIMITED_SHAPES='%s'\nONLY='%s'\n", strings.Join(shapes, "|"), strings.Join(limited, "|"), only)
	if err := os.WriteFile(filepath.Join(dir, "vmenv"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	// The tracked and new sources: the tests read testdata/ and docs.
	files := run(t, repo, "git", "ls-files", "-co", "--exclude-standard", "-z")
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		st, err := os.Lstat(filepath.Join(repo, f))
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a link
		}
		copyFile(t, filepath.Join(repo, f), filepath.Join(dir, "src", f), st.Mode().Perm())
	}
	for _, m := range zramModules {
		copyFile(t, filepath.Join(modules, "kernel", m), filepath.Join(dir, "modules", filepath.Base(m)), 0o644)
	}
	// Libraries: what ldd names for each binary and allocator library.
	objs := []string{filepath.Join(dir, "bin", "memstorm")}
	for bin := range testPackages {
		objs = append(objs, filepath.Join(dir, "t", bin))
	}
	for _, name := range allocators.Names() {
		c, err := allocators.Resolve(name)
		if err != nil {
			t.Fatalf("allocator %s: %v (make setup-test installs them)", name, err)
		}
		if c.Preload != "" {
			objs = append(objs, c.Preload)
			addPath(t, dir, c.Preload)
		}
	}
	// A real library without malloc, for the test that --allocator refuses
	// one (cmd/memstorm TestBadInputExits2).
	if _, err := os.Stat(libWithoutMalloc); err == nil {
		addPath(t, dir, libWithoutMalloc)
	}
	for _, o := range objs {
		for _, lib := range lddPaths(t, o) {
			addPath(t, dir, lib)
		}
	}
}

// lddPaths lists the absolute paths ldd prints for obj (libraries and the
// dynamic loader).
func lddPaths(t *testing.T, obj string) []string {
	t.Helper()
	out, err := exec.Command("ldd", obj).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", obj, err)
	}
	var paths []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		for _, f := range strings.Fields(sc.Text()) {
			if strings.HasPrefix(f, "/") {
				paths = append(paths, f)
			}
		}
	}
	return paths
}

// addPath copies the host file p to the same path below dir, recreating a
// symbolic link as one and following it.
func addPath(t *testing.T, dir, p string) {
	t.Helper()
	dst := filepath.Join(dir, p)
	if _, err := os.Lstat(dst); err == nil {
		return
	}
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, dst); err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		addPath(t, dir, target)
		return
	}
	copyFile(t, p, dst, st.Mode().Perm())
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// cpioImage packs dir into a newc cpio archive (uncompressed: the kernel
// unpacks it faster than it would decompress it under emulation).
func cpioImage(t *testing.T, dir, image string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", "find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > "+shellQuote(image))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("packing %s into %s: %v\n%s", dir, image, err, out)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// sizeOf is the size of file in MiB, for the log.
func sizeOf(file string) string {
	st, err := os.Stat(file)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.0f MiB", float64(st.Size())/(1<<20))
}
