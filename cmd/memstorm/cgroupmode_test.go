package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/internal/testenv/testmemcg"
)

// TestUnhonourableCgroupModeExits2: a --cgroup child or current that this
// host cannot honour is bad usage for the host at hand: exit 2, one line
// saying why, and no run directory. child: memstorm as an unprivileged user
// (uid 65534, no XDG_RUNTIME_DIR) can make no child cgroup. current: a
// 64 MiB limit that memstorm's own cgroup does not enforce (the v2 root has
// no limit at all).
func TestUnhonourableCgroupModeExits2(t *testing.T) {
	testenv.RequireRoot(t)
	host := testmemcg.Require(t)
	// A world-readable copy of this test binary, for the unprivileged user
	// (go test builds it in a directory only root may enter).
	dir, err := os.MkdirTemp("", "memstorm-cgroupmode-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "memstorm.test")
	copyExecutable(t, os.Args[0], exe)

	t.Run("child", func(t *testing.T) {
		out := filepath.Join(dir, "child-run")
		cmd := exec.Command(exe, "-test.run=^$", "--", "run", "--cgroup", "child", "--out", out, "--scale", "0.125", "eat-and-return")
		cmd.Env = []string{cliEnv + "=1", "PATH=/usr/bin:/bin", "HOME=/"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		b, err := cmd.CombinedOutput()
		checkRefused(t, cmd.ProcessState.ExitCode(), err, string(b), out, "--cgroup child")
	})
	t.Run("current", func(t *testing.T) {
		if cur, err := host.Current(); err == nil {
			st, err := cur.Stats()
			cur.Close()
			if err != nil {
				t.Fatal(err)
			}
			if b, ok := st.Limit.Bytes(); ok && b <= 64<<20 {
				t.Skipf("memstorm's own cgroup has a limit of %v: a 64 MiB run fits it", st.Limit)
			}
		}
		out := filepath.Join(dir, "current-run")
		code, stdout, stderr := memstorm(t, "run", "--cgroup", "current", "--limit", "64MiB", "--out", out, "oom-at-limit")
		checkRefused(t, code, nil, stdout+stderr, out, host.Dir())
	})
}

// checkRefused holds a refused run to exit 2, one line naming want, and no
// run directory.
func checkRefused(t *testing.T, code int, err error, output, out, want string) {
	t.Helper()
	t.Logf("exit %d: %s", code, output)
	if code != exitUsage || strings.Count(strings.TrimSpace(output), "\n") != 0 || !strings.Contains(output, want) {
		t.Errorf("exit %d (%v), output %q; want exit 2 and one line naming %q", code, err, output, want)
	}
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Errorf("a refused run left %s (%v)", out, err)
	}
}

func copyExecutable(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	o, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(o, in); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
}
