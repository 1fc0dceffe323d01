package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/memstorm/memstorm/units"
)

func TestDeleteKillsRemainingProcs(t *testing.T) {
	h := realHost(t, true)
	g := newTestChild(t, h, Settings{Max: units.BytesLimit(32 << 20), High: units.Unlimited, Swap: units.Unlimited})
	cmd, release := startBlocked(t, 2*time.Minute, "sleep 1000")
	if err := g.AddProc(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	release()
	procs, err := parseFile(filepath.Join(g.Path(), "cgroup.procs"), parseProcs)
	if err != nil || len(procs) != 1 || procs[0] != cmd.Process.Pid {
		t.Fatalf("cgroup.procs = %v, %v; want [%d]", procs, err, cmd.Process.Pid)
	}
	if err := g.Delete(); err != nil {
		t.Fatal(err)
	}
	if sig, ok := killedBy(cmd.Wait()); !ok || sig != syscall.SIGKILL {
		t.Errorf("sleep not SIGKILLed by Delete")
	}
	if _, err := os.Stat(g.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Delete %s: %v", g.Path(), err)
	}
	if err := g.Delete(); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}
