package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// A child's ru_maxrss is not its own peak when the parent is a Go test:
// exec records the old address space's high-water RSS in the new process,
// and os/exec starts children with vfork, whose old address space is the
// test binary's (tens of MiB, more after a big test). peakrssSource forks
// the command from a small C process instead, so the command's ru_maxrss
// starts from that process's few hundred KiB, and writes it to fd 3.
const peakrssSource = `#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
	if (argc < 2) return 125;
	pid_t pid = fork();
	if (pid < 0) return 126;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with its measurer */
		close(3);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	int st; struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0) return 126;
	dprintf(3, "%ld\n", ru.ru_maxrss);
	if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
`

var peakrss struct {
	once sync.Once
	path string
	err  error
}

// peakrssBinary compiles the measurer once per machine (a fixed path named
// by the source's hash under the temporary directory, reused by later test
// binaries) and returns its path.
func peakrssBinary() (string, error) {
	peakrss.once.Do(func() {
		sum := sha256.Sum256([]byte(peakrssSource))
		dir := filepath.Join(os.TempDir(), "memstorm-peakrss-"+hex.EncodeToString(sum[:6]))
		exe := filepath.Join(dir, "peakrss")
		if _, err := os.Stat(exe); err == nil {
			peakrss.path = exe
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			peakrss.err = err
			return
		}
		src := filepath.Join(dir, "peakrss.c")
		if err := os.WriteFile(src, []byte(peakrssSource), 0o644); err != nil {
			peakrss.err = err
			return
		}
		tmp := fmt.Sprintf("%s.%d", exe, os.Getpid())
		if b, err := exec.Command("cc", "-O2", "-o", tmp, src).CombinedOutput(); err != nil {
			peakrss.err = fmt.Errorf("compiling the peak-RSS measurer: %w\n%s", err, b)
			return
		}
		if err := os.Rename(tmp, exe); err != nil {
			peakrss.err = err
			return
		}
		peakrss.path = exe
	})
	return peakrss.path, peakrss.err
}

// MeasurePeakRSS changes cmd (not yet started) so that it runs under the
// measurer, and returns a function to call after cmd.Wait that gives the
// command's own peak RSS in bytes. Exit status, standard streams and CPU
// times (the measurer's ru includes its child's) are the command's.
func MeasurePeakRSS(cmd *exec.Cmd) (peak func() (int64, error), err error) {
	exe, err := peakrssBinary()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	path := cmd.Path
	cmd.Args = append([]string{exe, path}, cmd.Args[1:]...)
	cmd.Path = exe
	if len(cmd.ExtraFiles) != 0 {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("MeasurePeakRSS: the command already passes extra files")
	}
	cmd.ExtraFiles = []*os.File{w}
	return func() (int64, error) {
		w.Close()
		defer r.Close()
		b := make([]byte, 64)
		n, _ := r.Read(b)
		kib, err := strconv.ParseInt(strings.TrimSpace(string(b[:n])), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading the measured peak RSS %q: %w", b[:n], err)
		}
		return kib << 10, nil
	}, nil
}
