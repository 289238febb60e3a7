// Command prodbench is a load generator and benchmark for message
// producers. See the README for the scenario format and DESIGN.md for the
// data flow.
//
// Exit codes: 0 success; 1 the run failed (broker unreachable, results not
// written); 2 bad input (usage, flags, scenario file); 130 the run was
// interrupted (its result is still written, marked interrupted).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes, documented in the package comment and the README.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// command is one subcommand: its name, a one-line summary for the usage
// text, and its entry point. Each subcommand's file registers itself in an
// init function, beside its flag set and usage text.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// register adds a subcommand; called from init functions.
func register(c command) { commands[c.name] = c }

func usage() string {
	var b strings.Builder
	b.WriteString("prodbench: a load generator and benchmark for message producers\n\nUsage:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  prodbench %-10s %s\n", n, commands[n].summary)
	}
	b.WriteString("  prodbench help COMMAND  show a command's flags and examples\n")
	b.WriteString("  prodbench help systems  list the target systems (kinds, URL schemes, engines)\n")
	b.WriteString("  prodbench help thresholds  the --threshold syntax (metrics, operators, units)\n")
	b.WriteString("  prodbench --version     the version, VCS revision and Go version of this binary\n")
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Main runs the prodbench command line with args (without the program
// name), writing to stdout and stderr, and returns the exit code. ctx
// ending is an interrupt (Ctrl-C). Tests call it directly.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return exitUsage
	}
	switch args[0] {
	case "--version", "version":
		writeVersion(stdout)
		return exitOK
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] == "systems" {
			writeSystems(stdout)
			return exitOK
		}
		if len(args) > 1 && args[1] == "thresholds" {
			fmt.Fprint(stdout, thresholdsHelp)
			return exitOK
		}
		if len(args) > 1 {
			return Main(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage())
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "prodbench: unknown command %q\n\n%s", args[0], usage())
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

// fail prints one error line and returns code.
func fail(stderr io.Writer, code int, format string, args ...any) int {
	fmt.Fprintf(stderr, "prodbench: "+format+"\n", args...)
	return code
}
