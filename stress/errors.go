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

// usageWrapped is an error of the user's input (a scenario error with its
// line and column) that errors.Is reports as ErrUsage too.
type usageWrapped struct{ err error }

func (e usageWrapped) Error() string        { return e.err.Error() }
func (e usageWrapped) Is(target error) bool { return target == ErrUsage }
func (e usageWrapped) Unwrap() error        { return e.err }

// usageErr formats a usage error.
func usageErr(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}
