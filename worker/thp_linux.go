package worker

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/scenarios"
)

// prTHPDisableExceptAdvised is PR_THP_DISABLE_EXCEPT_ADVISED (Linux
// 6.18), which golang.org/x/sys/unix does not define yet: with
// PR_SET_THP_DISABLE, huge pages stay allowed where memory is madvised
// MADV_HUGEPAGE.
const prTHPDisableExceptAdvised = 1 << 1

// SetTHP gives the calling process the scenario's THP mode and returns the
// function that puts back the mode it had. The flag belongs to the
// process's memory (mm): it holds for every mapping, those made before
// included, at every later fault and for khugepaged, but does not undo
// huge pages already there. A child inherits it, and execve keeps it: so
// the supervisor sets it while it starts the workers, whose Go runtime
// then faults its first heap pages under it (under host mode always they
// would be huge pages before the worker could set anything), and each
// worker sets it again. "madvise" needs the 6.18 flag only on a host in
// always mode, which stress.Prepare refuses on an older kernel: there
// EINVAL (the flag unknown) leaves the host's madvise or never mode, which
// already is at most "madvise".
func SetTHP(mode scenarios.THP) (restore func(), err error) {
	var flags uintptr
	switch mode {
	case scenarios.THPNever:
	case scenarios.THPMadvise:
		flags = prTHPDisableExceptAdvised
	default:
		return func() {}, nil
	}
	old, err := unix.PrctlRetInt(unix.PR_GET_THP_DISABLE, 0, 0, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("thp: %s: prctl(PR_GET_THP_DISABLE): %w", mode, err)
	}
	err = unix.Prctl(unix.PR_SET_THP_DISABLE, 1, flags, 0, 0)
	switch {
	case err != nil && mode == scenarios.THPMadvise && errors.Is(err, unix.EINVAL):
		return func() {}, nil
	case err != nil:
		return nil, fmt.Errorf("thp: %s: prctl(PR_SET_THP_DISABLE, 1, %#x): %w", mode, flags, err)
	}
	return func() {
		// PR_GET_THP_DISABLE said 0 (huge pages allowed), or 1 with the
		// flags it was set with.
		if old == 0 {
			_ = unix.Prctl(unix.PR_SET_THP_DISABLE, 0, 0, 0, 0)
			return
		}
		_ = unix.Prctl(unix.PR_SET_THP_DISABLE, 1, uintptr(old)&^1, 0, 0)
	}, nil
}
