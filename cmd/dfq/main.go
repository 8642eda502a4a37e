package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
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
	// After the first Ctrl-C the query stops; a second one kills at once.
	context.AfterFunc(ctx, stop)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errHelp says that help was asked for and shown (exit code 0).
var errHelp = errors.New("help shown")

// errInterrupted is returned when the context was cancelled (Ctrl-C).
var errInterrupted = errors.New("interrupted")

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1   // a query or data error
	exitUsage     = 2   // a mistake in the command line
	exitInterrupt = 130 // stopped by SIGINT or SIGTERM, as shells report it
)

// exitCode prints err (if any) on stderr and returns the process exit code.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(stderr, "dfq: interrupted")
		return exitInterrupt
	}
	fmt.Fprintln(stderr, "dfq: "+message(err))
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, "Run 'dfq help' for usage.")
		return exitUsage
	}
	return exitError
}

// message is the text shown for err: a memory limit error alone, and
// without the goroutine stack that an engine-internal error carries (set
// DFQ_DEBUG=1 to see it).
func message(err error) string {
	var lim *memLimitError
	if errors.As(err, &lim) {
		return lim.Error()
	}
	msg := err.Error()
	if os.Getenv("DFQ_DEBUG") == "" {
		if i := strings.Index(msg, "\ngoroutine "); i >= 0 {
			msg = msg[:i] + " (set DFQ_DEBUG=1 for the stack trace)"
		}
	}
	return msg
}

// run is the whole program: main only turns signals into ctx and the result
// into an exit code. A panic is reported as an internal error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if lim, ok := r.(*memLimitError); ok {
				err = lim
				return
			}
			err = fmt.Errorf("internal error: %v (please report this bug)", r)
			if os.Getenv("DFQ_DEBUG") != "" {
				err = fmt.Errorf("%w\n%s", err, debug.Stack())
			}
		}
	}()
	// The progress bar and the workers' forwarded logs write to stderr from
	// their own goroutines.
	stderr = &lockedWriter{w: stderr}
	err = dispatch(ctx, args, stdin, stdout, stderr)
	if err != nil && ctx.Err() != nil && !errors.Is(err, errHelp) {
		return errInterrupted
	}
	return err
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Fd lets isTerminal see the file behind the writer.
func (l *lockedWriter) Fd() uintptr {
	if f, ok := l.w.(fder); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// dispatch runs the command args[0] names.
func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return usagef("no command given")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return runHelp(args[1:], stdout)
	case "query":
		return runQuery(ctx, args[1:], stdin, stdout, stderr)
	case "explain":
		return runExplain(ctx, args[1:], stdin, stdout, stderr)
	case "describe":
		return runDescribe(ctx, args[1:], stdout, stderr)
	case "meta":
		return runMeta(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "gen":
		return runGen(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	}
	if looksLikeSQL(args[0]) || strings.HasPrefix(args[0], "-") {
		// dfq "SELECT ..." and dfq --format csv -f q.sql are queries.
		return runQuery(ctx, args, stdin, stdout, stderr)
	}
	return unknownCommand(args[0])
}
