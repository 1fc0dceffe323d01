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

// setTHP gives the worker the scenario's THP mode before it allocates.
// The flag belongs to the process's memory (mm): it holds for every
// mapping, those made before included, at every later fault and for
// khugepaged. "madvise" needs the 6.18 flag only on a host in always mode,
// which stress.Prepare refuses on an older kernel: there EINVAL (the flag
// unknown) leaves the host's madvise or never mode, which already is at
// most "madvise".
func setTHP(mode scenarios.THP) error {
	switch mode {
	case scenarios.THPNever:
		if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("thp: never: prctl(PR_SET_THP_DISABLE): %w", err)
		}
	case scenarios.THPMadvise:
		err := unix.Prctl(unix.PR_SET_THP_DISABLE, 1, prTHPDisableExceptAdvised, 0, 0)
		if err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("thp: madvise: prctl(PR_SET_THP_DISABLE, PR_THP_DISABLE_EXCEPT_ADVISED): %w", err)
		}
	}
	return nil
}
