package pid1

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/internal/testenv"
)

// childEnv makes this test binary the process under the init: started as
// a PID namespace's init, the package's constructor forks, and the child
// runs childMain (with the mode the value names) instead of the tests.
const childEnv = "MEMSTORM_PID1_TEST_CHILD"

// Exit codes of childMain.
const (
	childOK        = 7 // SIGTERM received, the orphan reaped
	childNotUnder  = 3 // not PID 2 under an init
	childNoOrphan  = 4 // the orphan could not be made
	childNotReaped = 5 // the orphan stayed a zombie
	childNoSignal  = 6 // no SIGTERM came
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "handle":
		os.Exit(childMain(true))
	case "die":
		os.Exit(childMain(false))
	}
	os.Exit(m.Run())
}

// childMain runs under the init: it makes an orphan (a sleep whose shell
// exits at once, so that the sleep is re-parented to PID 1), says "ready
// PID" on standard output, and waits for SIGTERM (when handle; otherwise
// the signal kills it, as the Go runtime's default does). Then it checks
// that the orphan, once it exited, was reaped by the init.
func childMain(handle bool) int {
	if os.Getpid() == 1 || os.Getppid() != 1 {
		return childNotUnder
	}
	sigs := make(chan os.Signal, 1)
	if handle {
		signal.Notify(sigs, syscall.SIGTERM)
	}
	out, err := exec.Command("/bin/sh", "-c", "sleep 0.3 </dev/null >/dev/null 2>&1 & echo $!").Output()
	if err != nil {
		return childNoOrphan
	}
	orphan := strings.TrimSpace(string(out))
	fmt.Printf("ready %s\n", orphan)
	select {
	case <-sigs:
	case <-time.After(20 * time.Second):
		return childNoSignal
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat("/proc/" + orphan); err != nil {
			return childOK
		}
		time.Sleep(20 * time.Millisecond)
	}
	return childNotReaped
}

// runUnderInit starts this test binary as the init of a new PID namespace
// (with its own /proc) in the given child mode, waits for the child's
// "ready", sends SIGTERM to the init from outside, as docker stop does,
// and returns the init's wait status and standard error.
func runUnderInit(t *testing.T, mode string) (syscall.WaitStatus, string) {
	t.Helper()
	testenv.RequireRoot(t)
	unshare := testenv.RequireCommand(t, "unshare", "util-linux")
	cmd := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "--kill-child", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if !strings.HasPrefix(line, "ready ") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the child under the init did not get ready: %q %v; stderr:\n%s", line, err, stderr.String())
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/" + strconv.Itoa(cmd.Process.Pid) + "/children")
	kids := strings.Fields(string(b))
	if len(kids) != 1 {
		t.Fatalf("unshare has children %q, want the init alone", kids)
	}
	init, _ := strconv.Atoi(kids[0])
	if err := syscall.Kill(init, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	return cmd.ProcessState.Sys().(syscall.WaitStatus), stderr.String()
}

// TestInitForwardsAndReaps: as a PID namespace's init, the constructor
// forks; the child (PID 2) gets the SIGTERM sent to the init, its orphan
// is reaped by the init, and the init exits with the child's status.
func TestInitForwardsAndReaps(t *testing.T) {
	ws, stderr := runUnderInit(t, "handle")
	if ws.Signaled() || ws.ExitStatus() != childOK {
		t.Errorf("init ended with %v (exit %d), want exit %d: forwarded and reaped; stderr:\n%s", ws, ws.ExitStatus(), childOK, stderr)
	}
}

// TestInitReportsASignal: a child killed by the forwarded SIGTERM makes the
// init exit 143 (128 + 15), with one line naming the signal.
func TestInitReportsASignal(t *testing.T) {
	ws, stderr := runUnderInit(t, "die")
	if ws.Signaled() || ws.ExitStatus() != 143 || !strings.Contains(stderr, "ended by signal 15") {
		t.Errorf("init ended with %v (exit %d), stderr %q: want exit 143 and a line naming signal 15", ws, ws.ExitStatus(), stderr)
	}
}
