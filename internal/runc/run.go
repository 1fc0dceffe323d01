package runc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/memstorm/memstorm/internal/rootfs"
)

// Bundle is a runc bundle: config.json and the root under Dir, and runc's
// state for it under Dir/state (runc --root), apart from the host's.
type Bundle struct {
	Dir  string
	Runc string // the runc binary
}

// RootWriter writes a root file system into a directory: a
// *rootfs.Root, or an unpacked image.
type RootWriter interface {
	WriteDir(dir string) error
}

var _ RootWriter = (*rootfs.Root)(nil)

// NewBundle writes root and the configuration spec into dir.
func NewBundle(runc, dir string, root RootWriter, opt Options) (*Bundle, error) {
	if err := root.WriteDir(filepath.Join(dir, "rootfs")); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(Spec(opt), "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		return nil, err
	}
	return &Bundle{Dir: dir, Runc: runc}, nil
}

// Result is how a container's process ended.
type Result struct {
	ExitCode       int // the container's init's exit status (runc run passes it on)
	Stdout, Stderr []byte
	Elapsed        time.Duration
}

func (b *Bundle) runc(args ...string) *exec.Cmd {
	return exec.Command(b.Runc, append([]string{"--root", filepath.Join(b.Dir, "state")}, args...)...)
}

// Run runs the container id in the foreground until its process exits or
// ctx ends (then it is killed, and Run returns ctx's error with what it
// had). The container is deleted, by id, before Run returns.
func (b *Bundle) Run(ctx context.Context, id string) (Result, error) {
	cmd := b.runc("run", "--bundle", b.Dir, id)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("runc run %s: %w", id, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = b.runc("kill", id, "KILL").Run()
		<-done
		err = ctx.Err()
	}
	res := Result{Stdout: out.Bytes(), Stderr: errb.Bytes(), Elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		res.ExitCode = ws.ExitStatus()
		if ws.Signaled() {
			res.ExitCode = 128 + int(ws.Signal())
		}
		err = nil
	}
	if derr := b.Delete(id); derr != nil && err == nil {
		err = derr
	}
	return res, err
}

// Delete removes the container id (killing what is left of it) and its
// cgroups. runc run removes a container whose process exited; Delete is
// for the rest (a killed runc, a timeout), and an id runc no longer knows
// is not an error.
func (b *Bundle) Delete(id string) error {
	if err := b.runc("state", id).Run(); err != nil {
		return nil // no such container
	}
	out, err := b.runc("delete", "--force", id).CombinedOutput()
	if err != nil {
		return fmt.Errorf("runc delete %s: %w: %s", id, err, bytes.TrimSpace(out))
	}
	return nil
}

// Kill sends sig (a name runc knows, e.g. TERM) to the container's init,
// as docker stop and the kubelet do.
func (b *Bundle) Kill(id, sig string) error {
	out, err := b.runc("kill", id, sig).CombinedOutput()
	if err != nil {
		return fmt.Errorf("runc kill %s %s: %w: %s", id, sig, err, bytes.TrimSpace(out))
	}
	return nil
}
