package alloc

/*
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

// A SIGBUS at a huge page fault past the cgroup's hugetlb limit: let the
// process die of it, as a C program does, without dumping a core of its
// heap. Returning re-runs the faulting write, which the default action
// then ends.
static void ms_sigbus(int sig) {
	struct rlimit none = {0, 0};
	setrlimit(RLIMIT_CORE, &none);
	signal(sig, SIG_DFL);
}

static int ms_die_of_sigbus(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ms_sigbus;
	sa.sa_flags = SA_ONSTACK; // the Go runtime's rule for handlers on its threads
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL);
}
*/
import "C"

import "fmt"

// DieOfSIGBUS makes a SIGBUS end the process with that signal, as it ends
// a C program, instead of the Go runtime's crash report and exit status 2:
// the kernel's answer to a huge page fault past the cgroup's hugetlb limit
// must reach the supervisor's wait status as SIGBUS, where it decides the
// outcome hugetlb-limit. No core is dumped. The worker calls it only for a
// scenario that maps explicit huge pages.
func DieOfSIGBUS() error {
	if rc, err := C.ms_die_of_sigbus(); rc != 0 {
		return fmt.Errorf("alloc: installing the SIGBUS handler: %w", err)
	}
	return nil
}
