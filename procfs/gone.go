package procfs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// goneIfESRCH adds ErrProcessGone to err when the kernel said the process no
// longer exists; err stays in the chain so errors.Is(err, fs.ErrNotExist)
// still answers for a missing /proc/<pid>.
func goneIfESRCH(err error) error {
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("%w: %w", ErrProcessGone, err)
	}
	return err
}
