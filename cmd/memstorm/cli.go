package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/stress"
)

// Exit codes.
const (
	exitOK          = 0
	exitExpectation = 1 // a run's expectation failed (or its outcome was not the expected one)
	exitUsage       = 2 // bad usage, scenario, flag or output directory; nothing was allocated
	exitHarness     = 3 // memstorm itself failed
)

const usageText = `memstorm: allocation stress scenarios, recorded and plotted

Usage:
  memstorm run [flags] SCENARIO...    run scenarios (file paths or built-in names)
  memstorm list                       list the built-in scenarios
  memstorm validate [flags] FILE...   check scenario files as run would, without running them
  memstorm report DIR                 re-render the report of a recorded run
  memstorm compare [flags] RUNDIR...  compare recorded runs side by side
  memstorm sysinfo                    describe this machine as reports do
  memstorm cleanup                    remove cgroups left behind by killed memstorm processes
  memstorm bench [--json]             measure memstorm against plain C, the kernel and stress-ng

Run 'memstorm COMMAND -h' for the flags of a command.
Exit codes: 0 success, 1 an expectation failed, 2 bad usage or scenario, 3 harness failure.
`

// usageError is bad input: reported in one line, exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// run is main without the process: testable, it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	cmds := map[string]func([]string, io.Writer, io.Writer) (int, error){
		"run":      cmdRun,
		"list":     cmdList,
		"validate": cmdValidate,
		"report":   cmdReport,
		"compare":  cmdCompare,
		"sysinfo":  cmdSysinfo,
		"cleanup":  cmdCleanup,
		"bench":    cmdBench,
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	f, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "memstorm: unknown command %q\n\n%s", name, usageText)
		return exitUsage
	}
	code, err := f(args[1:], stdout, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "memstorm %s: %v\n", name, strings.TrimPrefix(err.Error(), "usage: "))
		if code == exitOK {
			code = exitCodeOf(err)
		}
	}
	return code
}

// exitCodeOf maps an error to its exit code.
func exitCodeOf(err error) int {
	var ue usageError
	var se *scenarios.ScenarioError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &se), errors.Is(err, stress.ErrUsage):
		return exitUsage
	}
	return exitHarness
}

// newFlags makes a flag set whose errors are usage errors and whose help
// goes to stderr.
func newFlags(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: memstorm %s %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags wherever they stand among the arguments
// (memstorm run every-other --limit 64MiB), turns flag errors into usage
// errors, and returns the other arguments; after "--" all are arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}
