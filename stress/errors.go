package stress

import (
	"errors"
	"fmt"
)

// ErrUsage marks an error in what the user asked for (a bad scenario, flag
// or output directory), as opposed to a failure during a run. The CLI maps
// it to exit code 2.
var ErrUsage = errors.New("usage")

// usageError is a message that errors.Is reports as ErrUsage.
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// usageErr formats a usage error.
func usageErr(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}
