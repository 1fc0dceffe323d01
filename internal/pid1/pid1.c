// The PID 1 init of package pid1: see pid1.go.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int forwarded(int sig) {
	switch (sig) {
	case SIGTERM: case SIGINT: case SIGHUP: case SIGQUIT:
	case SIGUSR1: case SIGUSR2: case SIGWINCH:
		return 1;
	}
	return 0;
}

// memstorm_init_loop is the init: it never returns.
static void memstorm_init_loop(pid_t child, const sigset_t *all) {
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(all, &si);
		if (sig < 0) {
			continue; // EINTR
		}
		if (forwarded(sig)) {
			kill(child, sig);
			continue;
		}
		if (sig != SIGCHLD) {
			continue;
		}
		int status;
		pid_t p;
		while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
			if (p != child) {
				continue; // an orphan, reaped
			}
			if (WIFEXITED(status)) {
				_exit(WEXITSTATUS(status));
			}
			if (WIFSIGNALED(status)) {
				int s = WTERMSIG(status);
				char line[160];
				int n = snprintf(line, sizeof line, "memstorm: ended by signal %d (%s)\n", s, strsignal(s));
				if (n > 0) {
					(void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
				}
				_exit(128 + s);
			}
		}
	}
}

__attribute__((constructor)) static void memstorm_pid1(void) {
	if (getpid() != 1) {
		return;
	}
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t child = fork();
	if (child > 0) {
		memstorm_init_loop(child, &all);
	}
	if (child < 0) {
		char line[160];
		int n = snprintf(line, sizeof line, "memstorm: warning: running as PID 1 without an init (fork: %s)\n", strerror(errno));
		if (n > 0) {
			(void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}
