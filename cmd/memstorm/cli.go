package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/memstorm/memstorm/report"
	"github.com/memstorm/memstorm/rundir"
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

// command is one subcommand of memstorm.
type command struct {
	name    string
	args    string // what follows the name in its usage line
	summary string // one line, for the overview and the command's help
	run     func(args []string, stdout, stderr io.Writer) (int, error)
}

// commands lists the subcommands in the order the overview shows them.
// help is answered by run itself. It is set in init: the commands' help
// (newFlags) reads it.
var commands []command

func init() {
	commands = []command{
		{"run", "[flags] SCENARIO...", "run scenarios (file paths or built-in names)", cmdRun},
		{"list", "", "list the built-in scenarios, grouped by use", cmdList},
		{"show", "NAME", "print a built-in scenario's YAML", cmdShow},
		{"validate", "[flags] FILE...", "check scenario files as run would, without running them", cmdValidate},
		{"report", "DIR", "re-render the report of a recorded run", cmdReport},
		{"compare", "[flags] RUNDIR...", "compare recorded runs side by side", cmdCompare},
		{"fleet", "[flags] BUNDLE...", "merge result bundles (run --bundle) of many nodes into one fleet report", cmdFleet},
		{"sysinfo", "[--json]", "describe this machine as reports do", cmdSysinfo},
		{"cleanup", "", "remove cgroups left behind by killed memstorm processes", cmdCleanup},
		{"bench", "[flags]", "measure memstorm against plain C, the kernel and stress-ng", cmdBench},
		{"version", "", "print memstorm's version (also --version)", cmdVersion},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usageText is the overview printed by memstorm help.
func usageText() string {
	var b strings.Builder
	b.WriteString("memstorm: allocation stress scenarios, recorded and plotted\n\nUsage:\n")
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  memstorm %s\t%s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintf(tw, "  memstorm help [COMMAND]\tthis text, or a command's flags (also COMMAND -h)\n")
	tw.Flush()
	b.WriteString(`
Exit codes: 0 success, 1 an expectation failed, 2 bad usage or input (a scenario,
a flag, a run directory), 3 harness failure (memstorm itself failed).
`)
	return b.String()
}

// usageError is bad input: reported in one line, exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// cmdStderr is the standard error handed to a command. It carries standard
// output along, so that the help a command's flag set prints on -h goes
// there (newFlags) while its errors go to standard error.
type cmdStderr struct {
	io.Writer
	stdout io.Writer
}

// run is main without the process: testable, it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText())
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText())
		return exitOK
	case "-version", "--version":
		name = "version"
	case "help":
		switch len(args) {
		case 1:
			fmt.Fprint(stdout, usageText())
			return exitOK
		case 2:
			if _, ok := lookup(args[1]); ok {
				// A command's help is what its -h prints.
				return run([]string{args[1], "-h"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "memstorm help: unknown command %q\n\n%s", args[1], usageText())
			return exitUsage
		}
		fmt.Fprintf(stderr, "memstorm help: want at most one command, got %q\n", args[1:])
		return exitUsage
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "memstorm: unknown command %q\n\n%s", name, usageText())
		return exitUsage
	}
	code, err := c.run(args[1:], stdout, cmdStderr{Writer: stderr, stdout: stdout})
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
	var ie *rundir.InputError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &se), errors.As(err, &ie),
		errors.Is(err, stress.ErrUsage), errors.Is(err, report.ErrNoAlignPhase):
		return exitUsage
	}
	return exitHarness
}

// newFlags makes a flag set whose errors are usage errors, reported once
// by run. Its help (-h, -help, --help, or memstorm help NAME) is printed by
// parseFlags to standard output when stderr is the cmdStderr run hands a
// command, else to stderr: the usage line, the command's summary, and the
// flags with their value names (printFlags), without a Flags: header when
// there are none.
func newFlags(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // flag's own messages: run prints the error once
	out := stderr
	if c, ok := stderr.(cmdStderr); ok {
		out = c.stdout
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: memstorm %s\n", strings.TrimSpace(name+" "+args))
		if c, ok := lookup(name); ok {
			fmt.Fprintf(out, "\n%s%s.\n", strings.ToUpper(c.summary[:1]), c.summary[1:])
		}
		printFlags(out, fs)
	}
	return fs
}

// valueNames name the values of flags whose usage has no `backquoted`
// word, by flag name; flags without either get a name from their type.
var valueNames = map[string]string{
	"out": "DIR", "junit": "FILE", "limit": "SIZE", "high": "SIZE", "swap": "SIZE",
	"allocator": "NAME", "cgroup": "MODE", "align": "PHASE", "scale": "FACTOR", "reps": "N", "pick": "N",
}

// typeNames replace flag.UnquoteUsage's type names.
var typeNames = map[string]string{"string": "VALUE", "float": "NUMBER", "int": "N", "uint": "N", "duration": "DURATION", "value": "VALUE"}

// printFlags writes the flags of fs, sorted by name, as
//
//	--name VALUE
//	      usage (default "x")
//
// The value's name is the usage's first backquoted word (flag.UnquoteUsage),
// else valueNames, else one for its type; boolean flags take none.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprint(w, "\nFlags:\n")
			first = false
		}
		name, usage := flag.UnquoteUsage(f)
		if name != "" && !strings.Contains(f.Usage, "`") {
			if v, ok := valueNames[f.Name]; ok {
				name = v
			} else if v, ok := typeNames[name]; ok {
				name = v
			}
		}
		fmt.Fprintf(w, "  --%s", f.Name)
		if name != "" {
			fmt.Fprintf(w, " %s", name)
		}
		fmt.Fprintf(w, "\n        %s", usage)
		switch f.DefValue {
		case "", "0", "false":
		default:
			if g, ok := f.Value.(flag.Getter); ok && isString(g.Get()) {
				fmt.Fprintf(w, " (default %q)", f.DefValue)
			} else {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
		}
		fmt.Fprintln(w)
	})
}

func isString(v any) bool { _, ok := v.(string); return ok }

// parseFlags parses flags wherever they stand among the arguments
// (memstorm run every-other --limit 64MiB), turns flag errors into usage
// errors, and returns the other arguments; after "--" all are arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	// flag calls Usage on every error as well as on -h: only -h prints it.
	help := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, err
			}
			return nil, usagef("%v (memstorm help %s lists the flags)", err, fs.Name())
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
