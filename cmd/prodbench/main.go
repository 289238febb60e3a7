// Command prodbench is a load generator and benchmark for message
// producers. See the README for the scenario format and DESIGN.md for the
// data flow.
//
// Exit codes: 0 success; 1 the run failed (broker unreachable, results
// not written where asked); 2 bad input only (usage, flags, scenario file);
// 70 an internal error (a recovered panic: a bug, never bad input); 130
// the run was interrupted by SIGINT, 143 by SIGTERM (its result is still
// written, marked interrupted). A second signal fails the messages in
// flight and writes the result at once.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
)

// Exit codes, documented in the package comment and the README.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInternal    = 70 // EX_SOFTWARE: a recovered panic
	exitInterrupted = 130
	exitTerminated  = 143 // 128 + SIGTERM: exitInterrupted after SIGTERM
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
	ctx, sig := notifySignals(context.Background())
	code := safeMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if code == exitInterrupted && sig.first() == syscall.SIGTERM {
		code = exitTerminated
	}
	os.Exit(code)
}

// safeMain is Main turning a panic into one error line (with the stack,
// for the bug report) and exitInternal, so that a crash never exits 2,
// the bad-input code. A panic in another goroutine still ends the process
// through the Go runtime (exit 2): recover reaches only this goroutine.
func safeMain(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "prodbench: internal error (a bug, please report it): %v\n%s", r, debug.Stack())
			code = exitInternal
		}
	}()
	return Main(ctx, args, stdout, stderr)
}

// signals records the process's interrupt signals: the first (SIGINT or
// SIGTERM) cancels the run's context, the second cancels its hard-stop
// context (see hardStop).
type signals struct {
	mu  sync.Mutex
	sig os.Signal
}

// first is the first signal received, or nil.
func (s *signals) first() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sig
}

// notifySignals returns a context ended by the first SIGINT or SIGTERM and
// carrying a hard-stop context ended by the second one.
func notifySignals(parent context.Context) (context.Context, *signals) {
	ctx, cancel := context.WithCancel(parent)
	hard, cancelHard := context.WithCancel(context.Background())
	s := &signals{}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for n := 0; ; n++ {
			sig := <-ch
			if n == 0 {
				s.mu.Lock()
				s.sig = sig
				s.mu.Unlock()
				cancel()
				continue
			}
			cancelHard()
		}
	}()
	return withHardStop(ctx, hard), s
}

// hardStopKey is the context key of the hard-stop context.
type hardStopKey struct{}

// withHardStop returns ctx carrying hard: when hard ends (a second
// Ctrl-C), the drain after an interrupt stops waiting and fails the
// messages in flight.
func withHardStop(ctx, hard context.Context) context.Context {
	return context.WithValue(ctx, hardStopKey{}, hard)
}

// hardStop is ctx's hard-stop context, or a context that never ends.
func hardStop(ctx context.Context) context.Context {
	if h, ok := ctx.Value(hardStopKey{}).(context.Context); ok {
		return h
	}
	return context.Background()
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

// newFlagSet returns an empty flag set for the command name that returns
// its errors instead of printing them: parseFlags reports them.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a command's args into fs, whose name is the
// command's. On --help it prints usage (a format whose one %s is the flag
// list) to stdout and returns exitOK; on a bad flag it prints one line
// naming the command and its help topic and returns exitUsage; done says
// whether the command must return code at once.
func parseFlags(fs *pflag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, false
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprintf(stdout, usage, fs.FlagUsages())
		return exitOK, true
	}
	return fail(stderr, exitUsage, "%s: %v (see 'prodbench help %s')", fs.Name(), err, fs.Name()), true
}

// parseScenarioArg is parseFlags for a command that takes exactly one
// argument, a scenario file: any other count is a usage error naming the
// command's help topic.
func parseScenarioArg(fs *pflag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (code int, done bool) {
	if code, done := parseFlags(fs, args, usage, stdout, stderr); done {
		return code, true
	}
	if fs.NArg() != 1 {
		return fail(stderr, exitUsage, "%s: want exactly one scenario file, got %d arguments (see 'prodbench help %s')", fs.Name(), fs.NArg(), fs.Name()), true
	}
	return exitOK, false
}

// fail prints one error line and returns code.
func fail(stderr io.Writer, code int, format string, args ...any) int {
	fmt.Fprintf(stderr, "prodbench: "+format+"\n", args...)
	return code
}

// resultsDir is a command's default output directory:
// results/<name>-<UTC timestamp>.
func resultsDir(name string) string {
	return filepath.Join("results", name+"-"+time.Now().UTC().Format("20060102T150405Z"))
}

// newTable returns a tab writer to w for the tables commands print for
// people: left-aligned columns two spaces apart. Flush it when done.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}
