package stress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/memstorm/memstorm/procfs"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/wire"
	"github.com/memstorm/memstorm/worker"
)

// workerProc is one worker process as the supervisor sees it. A run has
// one, or several (scenario processes:) that share its cgroup, run the
// same steps in lockstep and split its byte and count targets.
type workerProc struct {
	idx    int
	cmd    *exec.Cmd
	page   *wire.StatusPage
	ctl    *os.File // the control pipe's write end
	stderr *tailBuffer

	exited  bool
	waitErr error
	exitT   float64      // run time of its exit
	done    bool         // it said every step ran
	err     string       // its own error wire.Message
	waiting bool         // it ended the barrier's step and waits for the ack
	stopped bool         // the kernel holds it stopped (state T)
	end     wire.Message // its phase-end wire.Message for that step
	// spawnHWM is the supervisor's own VmHWM just after it started the
	// worker: exec records the old address space's high-water mark in the
	// new process's ru_maxrss, and os/exec starts children with vfork,
	// whose old address space is the supervisor's. A worker's ru_maxrss at
	// or below spawnHWM may be the supervisor's, not the worker's.
	spawnHWM int64
}

// startWorkers starts the run's worker processes, each blocked before its
// first allocation, writing its messages to evW.
func (s *supervisor) startWorkers(evW *os.File) error {
	var err error
	exe := s.plan.executable
	if exe == "" {
		exe = os.Getenv(wire.WorkerExeEnv)
	}
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("finding memstorm's own executable to start the worker: %w", err)
		}
	}
	env := workerEnviron(os.Environ(), s.sc.Env, s.plan.Allocator.Preload)
	// The worker inherits the scenario's THP mode across fork and exec.
	restoreTHP, err := worker.SetTHP(s.sc.THP)
	if err != nil {
		return err
	}
	defer restoreTHP()
	n := max(s.sc.Processes, 1)
	for i := 0; i < n; i++ {
		p, err := s.startWorker(exe, env, evW, i, n)
		if err != nil {
			return err
		}
		s.procs = append(s.procs, p)
		if err := s.admit(p.cmd.Process.Pid); err != nil {
			return err
		}
	}
	return nil
}

func (s *supervisor) startWorker(exe string, env []string, evW *os.File, i, n int) (*workerProc, error) {
	page, err := wire.NewStatusPage(s.sc.Workers)
	if err != nil {
		return nil, err
	}
	p := &workerProc{idx: i, page: page}
	spec := wire.Spec{Scenario: s.sc, LimitBytes: s.limitBytes(), HasUsage: s.cg != nil, Proc: i, Procs: n,
		FileDir: fileDir(), TmpfsDir: shmDir}
	in, err := json.Marshal(spec)
	if err != nil {
		page.Close()
		return nil, fmt.Errorf("encoding the worker spec: %w", err)
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		page.Close()
		return nil, fmt.Errorf("creating the control pipe: %w", err)
	}
	defer ctlR.Close()
	logf, err := s.rd.Create(rundir.WorkerLog(i, n))
	if err != nil {
		page.Close()
		ctlW.Close()
		return nil, err
	}
	p.stderr = newTailBuffer(logf, 8<<10)
	cmd := exec.Command(exe)
	cmd.Args = []string{"memstorm-worker"}
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = p.stderr
	cmd.Stdout = p.stderr
	cmd.Env = env
	cmd.ExtraFiles = []*os.File{page.File(), evW, ctlR}
	// The worker dies with memstorm: a run never outlives its supervisor.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if s.cg != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, s.cg.UsageFile())
		if fd := s.cg.FD(); fd >= 0 {
			cmd.SysProcAttr.UseCgroupFD = true
			cmd.SysProcAttr.CgroupFD = fd
		}
	}
	if err := cmd.Start(); err != nil {
		page.Close()
		ctlW.Close()
		return nil, fmt.Errorf("starting the worker %s: %w", exe, err)
	}
	// Read after Start: vfork returns once the child has exec'd, so this
	// high-water mark is at least the one exec recorded.
	if st, err := s.plan.Roots.ProcFS().Self().Status(); err == nil {
		p.spawnHWM = st.VmHWM
	} else {
		p.spawnHWM = math.MaxInt64 // unknown: ru_maxrss cannot be told apart
	}
	p.cmd, p.ctl = cmd, ctlW
	return p, nil
}

// admit puts a worker, still blocked before its first allocation, into the
// run's cgroup (v1: by pid; v2 already did it at clone) and makes it the
// OOM killer's first choice.
func (s *supervisor) admit(pid int) error {
	if s.cg != nil && s.cg.FD() < 0 && s.cg.Mode() == CgroupChild {
		if err := s.cg.AddProc(pid); err != nil {
			return fmt.Errorf("moving the worker (pid %d) into %s: %w", pid, s.cg.Path(), err)
		}
	}
	if err := pinTasks(s.plan.Roots.ProcFS(), pid, s.plan.workerCPUs); err != nil {
		return err
	}
	return setOOMScoreAdj(s.plan.Roots.ProcFS(), pid, 1000)
}

// startAll lets every worker begin its steps.
func (s *supervisor) startAll() error {
	for _, p := range s.procs {
		if _, err := p.ctl.Write([]byte{wire.CtlGo}); err != nil {
			return fmt.Errorf("releasing worker %d: %w", p.idx, err)
		}
	}
	return nil
}

// kill ends every worker that is still running, by its pid.
func (s *supervisor) kill() {
	for _, p := range s.procs {
		if !p.exited && p.cmd.Process != nil {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
		}
	}
}

// closeWorkers releases what the workers' records need no more.
func (s *supervisor) closeWorkers() error {
	var first error
	for _, p := range s.procs {
		if err := p.stderr.Close(); err != nil {
			s.harnessFailed(rundir.WorkerLog(p.idx, len(s.procs)), err)
		}
		for _, err := range []error{p.page.Close(), p.ctl.Close()} {
			if err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// setOOMScoreAdj makes pid the OOM killer's first choice (1000), so that a
// kill lands on the worker and never on the supervisor that records it.
func setOOMScoreAdj(fs procfs.FS, pid, v int) error {
	p := fs.Proc(pid).Path("oom_score_adj")
	if err := os.WriteFile(p, []byte(strconv.Itoa(v)), 0); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}
