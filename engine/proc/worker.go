package proc

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"

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

// A worker's garbage-collection target (GOGC), unless the environment sets
// one, is workerGCPercent while its live heap is under gcLiveLimit, and
// Go's default of 100 above. A worker's live heap is usually small (the
// partial states of its share of the data and a few batches in flight)
// while it allocates batch after batch, so at 100 it collects far more often
// than one process running the same work on goroutines, whose live heap
// holds every worker's share: measured on h2o q2, GC scanning took 12% of a
// worker's CPU against 6% of the goroutine executor's, under 1% at 300. A
// worker holding millions of groups would, at 300, let its heap grow to
// four times their size: one worker on h2o q10 (1e7 groups) peaked at 9.7
// GiB.
const (
	workerGCPercent = 300
	gcLiveLimit     = 256 << 20
)

// adaptiveGC is set when RunWorker manages GOGC (see tuneGC).
var adaptiveGC bool

var liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

// tuneGC sets GOGC from the live heap (see workerGCPercent); Serve calls it
// between messages.
func tuneGC() {
	if !adaptiveGC {
		return
	}
	metrics.Read(liveSample)
	pct := workerGCPercent
	if liveSample[0].Value.Kind() == metrics.KindUint64 && liveSample[0].Value.Uint64() > gcLiveLimit {
		pct = 100
	}
	if pct != gcPercent {
		debug.SetGCPercent(pct)
		gcPercent = pct
	}
}

var gcPercent = 100

// releaseMemory returns a large heap to the operating system once a query's
// partial result has been sent (see Serve): an idle worker should not hold
// gigabytes, nor leave Go's background scavenger releasing them while the
// next query runs. Small heaps are left to the runtime.
func releaseMemory() {
	if !adaptiveGC {
		return
	}
	metrics.Read(heapSample)
	if v := heapSample[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() > gcLiveLimit {
		debug.FreeOSMemory()
	}
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// RunWorker runs this process as a worker until its parent shuts it down or
// goes away, and returns the exit status. It ignores SIGINT (the parent
// handles Ctrl-C and stops its workers), keeps the process's standard output
// for the protocol and points file descriptor 1 (and os.Stdout) at standard
// error, so that nothing but protocol bytes reaches the parent on stdout.
// Unless GOGC is set, it collects garbage at GOGC=300 while its live heap is
// small (see workerGCPercent).
func RunWorker() int {
	signal.Ignore(os.Interrupt)
	if os.Getenv("GOGC") == "" {
		adaptiveGC = true
		tuneGC()
	}
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
	defer proto.Close()
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
	if err := Serve(context.Background(), os.Stdin, proto, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "dfq worker: %v\n", err)
		return 1
	}
	return 0
}
