package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/units"
)

// limiter creates child memory cgroups with a hard limit for the reference
// programs that bench starts itself (the supervisor makes its own).
type limiter struct {
	host *cgroup.Host
	seq  int
	cpu  int // start pins to it unless unpinned (-1)
}

func newLimiter() (*limiter, error) {
	h, err := cgroup.Detect(cgroup.DefaultRoots())
	if err != nil {
		return nil, fmt.Errorf("bench needs a memory cgroup controller to bound its 1 GiB fills: %w", err)
	}
	return &limiter{host: h, cpu: -1}, nil
}

// limitedProc is a process started inside its own limited child cgroup.
type limitedProc struct {
	cmd    *exec.Cmd
	group  *cgroup.Group
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

// start starts argv inside a new child cgroup limited to max bytes, pinned
// to the limiter's CPU unless pinned is false. The program is exec'd by a
// shell that first waits for one line on stdin, so it is moved into the
// group (cgroup v1) and pinned before it allocates anything; after that
// line the program's stdin is the rest of the pipe.
func (l *limiter) start(max int64, pinned bool, argv ...string) (*limitedProc, error) {
	l.seq++
	g, err := l.host.NewChild(cgroup.ChildName(os.Getpid(), 100000+l.seq), cgroup.Settings{Max: units.LimitOf(max), Swap: units.BytesLimit(0)})
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", `read -r _ && exec "$@"`, "sh"}, argv...)...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if fd := g.FD(); fd >= 0 {
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
	}
	p := &limitedProc{cmd: cmd, group: g}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, errors.Join(err, g.Delete())
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, errors.Join(err, g.Delete())
	}
	p.stdout = bufio.NewReader(out)
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("starting %v: %w", argv, err), g.Delete())
	}
	if g.FD() < 0 {
		if err := g.AddProc(cmd.Process.Pid); err != nil {
			return nil, errors.Join(err, p.stop())
		}
	}
	if pinned && l.cpu >= 0 {
		var set unix.CPUSet
		set.Set(l.cpu)
		if err := unix.SchedSetaffinity(cmd.Process.Pid, &set); err != nil {
			return nil, errors.Join(fmt.Errorf("pinning %v to CPU %d: %w", argv, l.cpu, err), p.stop())
		}
	}
	if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
		return nil, errors.Join(fmt.Errorf("releasing %v: %w", argv, err), p.stop())
	}
	return p, nil
}

// line reads one line of the program's output.
func (p *limitedProc) line() (string, error) {
	s, err := p.stdout.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading the output of %v: %w", p.cmd.Args, err)
	}
	return s[:len(s)-1], nil
}

// usage reads the group's current usage with one pread of the open file.
func (p *limitedProc) usage(buf []byte) (int64, error) {
	n, err := unix.Pread(int(p.group.UsageFile().Fd()), buf, 0)
	if err != nil {
		return 0, fmt.Errorf("reading the usage of %s: %w", p.group.Path(), err)
	}
	var v int64
	for _, c := range buf[:n] {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	return v, nil
}

// stop kills what is left in the group (by PID, from its cgroup.procs), reaps
// the program and removes the group.
func (p *limitedProc) stop() error {
	p.stdin.Close()
	err := p.group.Delete()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	return err
}
