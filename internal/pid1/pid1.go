// Package pid1 makes memstorm a well-behaved PID 1, as it is when a
// container runs it directly (docker run IMAGE memstorm ..., a Kubernetes
// container without an init): importing it links a C constructor that, in
// a process whose PID is 1, forks before the Go runtime starts. The child
// goes on as memstorm; the parent stays behind as a minimal init that
// forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH
// to it, reaps every child the namespace hands it (orphaned workers
// included), and exits with the child's status: its exit code, or 128 + the
// signal that killed it, with one line on standard error naming the
// signal.
//
// Why: the kernel delivers a signal to a PID namespace's init only when the
// init handles it, and the Go runtime's default handling of SIGTERM (die by
// the signal) cannot work there, so a SIGTERM before memstorm asked for it
// (its first milliseconds) made the runtime exit with status 2, memstorm's
// bad-usage code, with no output (measured: 5 of 10 tries at 1 and 3 ms).
// As PID 2 memstorm either handles the signal or dies by it, and the init
// reports 143 either way. Zombies: memstorm waits for its own workers, but
// processes re-parented to PID 1 would otherwise never be reaped.
//
// The init is plain C with every signal blocked, waiting in sigwaitinfo:
// blocked signals are queued for an init even without a handler. A
// signal that arrives before the constructor runs (while the dynamic loader
// maps the libraries) is dropped by the kernel, as for any init.
package pid1

// #cgo CFLAGS: -Wall -Werror
import "C"
