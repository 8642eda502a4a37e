package proc

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"

	"github.com/dfq/dfq/engine/gctune"
	"github.com/dfq/dfq/engine/proc/wire"
)

// EnvWorker is the environment variable that marks a process as a dfq
// worker. The pool sets it, to the protocol version it speaks, on every
// worker it starts.
const EnvWorker = "DFQ_WORKER"

// EnvCPUProfile, when set in a worker's environment to a directory, makes the
// worker write a CPU profile of its whole life to DIR/worker-PID.pprof (for
// go tool pprof): the parent's own profile does not see the work done in
// workers.
const EnvCPUProfile = "DFQ_WORKER_CPUPROFILE"

// IsWorker reports whether this process was started as a worker (EnvWorker
// is set). A program whose pool re-executes it (Options.Command nil) must
// call it first thing in main:
//
//	func main() {
//		if proc.IsWorker() {
//			os.Exit(proc.RunWorker())
//		}
//		...
//	}
func IsWorker() bool { return os.Getenv(EnvWorker) != "" }

// releaseMemory returns a large heap to the operating system once a query's
// partial result has been sent (see Serve): an idle worker should not hold
// gigabytes, nor leave Go's background scavenger releasing them while the
// next query runs. Small heaps are left to the runtime.
func releaseMemory() {
	if tuned && gctune.Large() {
		debug.FreeOSMemory()
	}
}

// tuned is set when RunWorker enabled GC tuning.
var tuned bool

// RunWorker runs this process as a worker until its parent shuts it down or
// goes away, and returns the exit status. It ignores SIGINT (the parent
// handles Ctrl-C and stops its workers), keeps the process's standard output
// for the protocol and points file descriptor 1 (and os.Stdout) at standard
// error, so that nothing but protocol bytes reaches the parent on stdout.
// Unless GOGC is set, it tunes the garbage collector with package gctune
// (GOGC=300 while the live heap is small): a worker's live heap is its share
// of the partial states, so at GOGC=100 it collected far more often than one
// process running the same work on goroutines (on h2o q2, GC scanning took
// 12% of a worker's CPU against 6% of the goroutine executor's; under 1% at
// 300).
func RunWorker() int {
	signal.Ignore(os.Interrupt)
	tuned = gctune.Enable()
	if v := os.Getenv(EnvWorker); v != "" && v != strconv.Itoa(wire.Version) {
		// The handshake refuses the parent with a clear error; say why here too.
		fmt.Fprintf(os.Stderr, "dfq worker: %s=%s, this binary speaks protocol version %d\n", EnvWorker, v, wire.Version)
	}
	os.Unsetenv(EnvWorker)
	proto, err := redirectStdout()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dfq worker: redirecting stdout: %v\n", err)
		return 2
	}
	proto = pollable(proto)
	defer proto.Close()
	stdin := pollable(os.Stdin)
	if dir := os.Getenv(EnvCPUProfile); dir != "" {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.pprof", os.Getpid())))
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "dfq worker: %s: %v\n", EnvCPUProfile, err)
		} else {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	if err := Serve(context.Background(), stdin, proto, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "dfq worker: %v\n", err)
		return 1
	}
	return 0
}
