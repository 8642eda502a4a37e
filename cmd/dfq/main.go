// Command dfq runs SQL and dataframe queries over Parquet, Arrow and CSV files
// on a sequential, multi-threaded or multi-process executor.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/dfq/dfq/engine/proc"
)

func main() {
	// A worker process of the process executor: stdout carries only the
	// protocol, so nothing else may run first.
	if proc.IsWorker() || (len(os.Args) > 1 && os.Args[1] == "worker") {
		os.Exit(proc.RunWorker())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitCode prints err (if any) and returns the process exit code: 0 success,
// 2 usage error, 1 any other error.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "dfq: "+err.Error())
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, "Run 'dfq help' for usage.")
		return 2
	}
	return 1
}

var errHelp = errors.New("help shown")

const usage = `dfq: SQL and dataframe queries over Parquet, Arrow and CSV files, in parallel.

Usage:
  dfq demo [--rows N] [--dir DIR]     generate sample data and run example queries
  dfq help                            show this help

Run 'dfq <command> -h' for a command's flags.
`

// run is the whole program: main only turns signals into ctx and the result
// into an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	}
	return usagef("unknown command %q", args[0])
}
