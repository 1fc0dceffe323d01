// Package vm boots Debian's own kernel under qemu (software emulation, no
// KVM needed) on a pure cgroup v2 hierarchy, and runs memstorm's real-cgroup
// tests and a set of CLI runs there from two placements: memstorm in the
// root cgroup, and memstorm in a non-root cgroup with a memory limit (as in
// a systemd service or a container). make test-vm runs it; see README.md
// in this directory.
package vm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Environment of the stage.
const (
	stageEnv   = "MEMSTORM_VM_STAGE"   // 1: run it (make test-vm sets it)
	cacheEnv   = "MEMSTORM_VM_CACHE"   // where the kernel is kept; default <repo>/.cache/vm
	thpEnv     = "MEMSTORM_VM_THP"     // transparent_hugepage= of the guest; default madvise
	timeoutEnv = "MEMSTORM_VM_TIMEOUT" // bound on the boot and every job; default 45m
	onlyEnv    = "MEMSTORM_VM_ONLY"    // a regex of the job names to run; default all
)

// job is one framed result from the guest.
type job struct {
	placement, name string
	rc              int
	guestSeconds    float64
	output          string
}

var (
	beginRe = regexp.MustCompile(`^@@VM BEGIN (\S+) (\S+)$`)
	endRe   = regexp.MustCompile(`^@@VM END (\S+) (\S+) rc=(\d+) start=([0-9.]+) end=([0-9.]+)$`)
	testRe  = regexp.MustCompile(`^--- (PASS|FAIL|SKIP): (\S+)`)
)

// TestCgroupV2VM is the stage. It is skipped unless MEMSTORM_VM_STAGE=1:
// it builds an initramfs and boots a kernel (minutes), which go test ./...
// should not do on its own.
func TestCgroupV2VM(t *testing.T) {
	if os.Getenv(stageEnv) != "1" {
		t.Skipf("the cgroup v2 VM stage runs with %s=1 (make test-vm)", stageEnv)
	}
	for _, p := range []string{"qemu-system-x86_64", "cpio", "busybox", "dpkg-deb", "apt-get", "ldd", "go"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("no %s: make test-vm installs qemu-system-x86 busybox-static cpio first (%v)", p, err)
		}
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv(cacheEnv)
	if cache == "" {
		cache = filepath.Join(repo, ".cache", "vm")
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	thp := os.Getenv(thpEnv)
	if thp == "" {
		thp = "madvise"
	}
	timeout := 45 * time.Minute
	if v := os.Getenv(timeoutEnv); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil {
			t.Fatalf("%s=%q: %v", timeoutEnv, v, err)
		}
	}

	start := time.Now()
	vmlinuz, modules := kernel(t, cache)
	work := t.TempDir()
	root := filepath.Join(work, "root")
	stage(t, repo, root, modules)
	image := filepath.Join(work, "initrd.cpio")
	cpioImage(t, root, image)
	t.Logf("kernel %s, initramfs %s, made in %v", vmlinuz, sizeOf(image), time.Since(start).Round(time.Second))

	console := filepath.Join(cache, "console-"+thp+".log")
	bootStart := time.Now()
	out, err := boot(t, vmlinuz, image, thp, timeout, console)
	t.Logf("guest ran for %v (host wall clock); console log: %s", time.Since(bootStart).Round(time.Second), console)
	jobs, infos, done := parse(out)
	for _, i := range infos {
		t.Log(i)
	}
	report(t, jobs)
	if err != nil || !done {
		t.Fatalf("the guest did not finish its jobs (qemu: %v); console tail:\n%s", err, tail(out, 80))
	}
	if len(jobs) == 0 {
		t.Fatal("the guest reported no jobs")
	}
	t.Logf("stage total %v (host wall clock)", time.Since(start).Round(time.Second))
}

// boot runs qemu until the guest powers off, the console going to log.
func boot(t *testing.T, vmlinuz, image, thp string, timeout time.Duration, log string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmdline := "console=ttyS0 no_timer_check panic=-1 loglevel=3 rdinit=/init transparent_hugepage=" + thp
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64",
		"-accel", "tcg", "-cpu", "qemu64", "-smp", "2", "-m", "2G", "-nographic", "-no-reboot",
		"-kernel", vmlinuz, "-initrd", image, "-append", cmdline)
	var buf bytes.Buffer
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout = io.MultiWriter(&buf, f)
	cmd.Stderr = cmd.Stdout
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("killed after %v (%s): %w", timeout, timeoutEnv, ctx.Err())
	}
	return strings.ReplaceAll(buf.String(), "\r", ""), err
}

// parse splits the console into the framed jobs, the guest's INFO lines,
// and whether it reached DONE.
func parse(console string) (jobs []job, infos []string, done bool) {
	var cur *job
	var body strings.Builder
	sc := bufio.NewScanner(strings.NewReader(console))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "@@VM INFO "):
			infos = append(infos, strings.TrimPrefix(line, "@@VM INFO "))
		case line == "@@VM DONE":
			done = true
		case beginRe.MatchString(line):
			m := beginRe.FindStringSubmatch(line)
			cur = &job{placement: m[1], name: m[2]}
			body.Reset()
		case endRe.MatchString(line) && cur != nil:
			m := endRe.FindStringSubmatch(line)
			cur.rc, _ = strconv.Atoi(m[3])
			s, _ := strconv.ParseFloat(m[4], 64)
			e, _ := strconv.ParseFloat(m[5], 64)
			cur.guestSeconds = e - s
			cur.output = body.String()
			jobs = append(jobs, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	if cur != nil { // the guest died inside a job: keep what it printed
		cur.rc = -1
		cur.output = body.String()
		jobs = append(jobs, *cur)
	}
	return jobs, infos, done
}

// report logs a table of the jobs and fails the test, with the guest's
// output, for each one that failed.
func report(t *testing.T, jobs []job) {
	t.Helper()
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "%-8s %-26s %4s %8s  %s\n", "place", "job", "rc", "guest s", "tests")
	for _, j := range jobs {
		counts := map[string]int{}
		var failed []string
		for _, l := range strings.Split(j.output, "\n") {
			if m := testRe.FindStringSubmatch(strings.TrimSpace(l)); m != nil && !strings.Contains(m[2], "/") {
				counts[m[1]]++
				if m[1] == "FAIL" {
					failed = append(failed, m[2])
				}
			}
		}
		tests := ""
		if len(counts) > 0 {
			tests = fmt.Sprintf("pass %d fail %d skip %d %s", counts["PASS"], counts["FAIL"], counts["SKIP"], strings.Join(failed, " "))
		}
		fmt.Fprintf(&tbl, "%-8s %-26s %4d %8.1f  %s\n", j.placement, j.name, j.rc, j.guestSeconds, tests)
		switch {
		case j.rc != 0:
			t.Errorf("guest job %s/%s exit %d:\n%s", j.placement, j.name, j.rc, j.output)
		case strings.HasPrefix(j.name, "test-") && counts["PASS"] == 0:
			t.Errorf("guest job %s/%s passed no test:\n%s", j.placement, j.name, j.output)
		}
	}
	t.Logf("jobs:\n%s", tbl.String())
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
