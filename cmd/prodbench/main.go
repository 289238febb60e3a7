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
	"syscall"
)

// Exit codes, documented in the package comment and the README.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

const usage = `prodbench: a load generator and benchmark for message producers

Usage:
  prodbench run SCENARIO [flags]      run a scenario and write its results
  prodbench broker [flags]            run the embedded Kafka broker alone
  prodbench help [COMMAND]            show help

Run 'prodbench help run' for a command's flags.
`

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
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "broker":
		return cmdBroker(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 {
			return Main(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "prodbench: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// fail prints one error line and returns code.
func fail(stderr io.Writer, code int, format string, args ...any) int {
	fmt.Fprintf(stderr, "prodbench: "+format+"\n", args...)
	return code
}
