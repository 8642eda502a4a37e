package proc

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dfq/dfq/engine/recycle"

	"go.uber.org/goleak"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/proc/wire"
	"github.com/dfq/dfq/io/dataset"
)

// hookEnv selects a misbehaviour for test workers (the test binary itself,
// re-executed): see testHooks.
const hookEnv = "DFQ_PROC_TEST_HOOK"

func TestMain(m *testing.M) {
	// Freed Arrow memory is poisoned, here and in worker processes, so a
	// use after release is a wrong answer rather than a silent one.
	recycle.Default = recycle.New(recycle.Options{Poison: true})
	if IsWorker() {
		hook := os.Getenv(hookEnv)
		if hook == "bad-ready" {
			os.Exit(badReady())
		}
		taskHook = testHooks(hook)
		flushHook = testFlushHooks(hook)
		spillHook = testSpillHooks(hook)
		os.Exit(RunWorker())
	}
	if path := os.Getenv(parentEnv); path != "" {
		os.Exit(parentMain(path))
	}
	goleak.VerifyTestMain(m)
}

// parentEnv makes the test binary a parent process for TestNoOrphans: it
// starts two workers over the Parquet file the variable names, whose tasks
// hang ignoring cancellation and end of input, prints their pids and waits
// to be killed. Only Pdeathsig can end such workers when it dies.
const parentEnv = "DFQ_PROC_TEST_PARENT"

func parentMain(path string) int {
	ds, err := dataset.Open([]string{path}, dataset.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := &syncBuffer{}
	pool, err := NewPool(Options{Workers: 2, Log: log, Env: []string{hookEnv + "=hang"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	go pool.RunLeaf(context.Background(), &exec.Fragment{Read: exec.ReadSpec{Columns: []string{"id"}}, Buckets: 1},
		slices.Repeat(ds.Splits, 4), &exec.Stats{}, nil)
	for strings.Count(log.String(), "hanging") < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Printf("pids %d %d\n", pool.slots[0].get().pid, pool.slots[1].get().pid)
	time.Sleep(time.Hour)
	return 0
}

// testHooks returns the task hook a test worker runs:
//
//	kill-once:PATH  the first task of the whole test SIGKILLs its worker
//	                (PATH marks that it happened)
//	crash           every worker exits with status 3 on its first task
//	junk            the first task writes junk to the protocol stream
//	hang            every task sleeps for an hour, ignoring cancellation
//	stray           every task prints to stdout (which must go to stderr)
//	panic-once:PATH the first task of the whole test panics
//	kill-third:PATH the first task run third by a worker SIGKILLs it (the
//	                worker then holds the partial result of two splits)
func testHooks(hook string) func(int, io.Writer) {
	name, arg, _ := strings.Cut(hook, ":")
	first := func() bool { return firstTime(arg) }
	switch name {
	case "kill-third":
		return func(n int, _ io.Writer) {
			if n == 3 && first() {
				fmt.Fprintln(os.Stderr, "killing myself holding two splits")
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Hour)
			}
		}
	case "kill-once":
		return func(n int, _ io.Writer) {
			if first() {
				fmt.Fprintln(os.Stderr, "killing myself")
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Hour)
			}
		}
	case "crash":
		return func(n int, _ io.Writer) {
			fmt.Fprintln(os.Stderr, "boom: test worker crashing on purpose")
			os.Exit(3)
		}
	case "junk":
		return func(n int, w io.Writer) {
			if n == 1 {
				w.Write([]byte("this is not the protocol\n"))
			}
		}
	case "hang":
		return func(int, io.Writer) {
			fmt.Fprintln(os.Stderr, "hanging")
			time.Sleep(time.Hour)
		}
	case "stray":
		return func(int, io.Writer) { fmt.Println("stray line on stdout") }
	case "panic-once":
		return func(int, io.Writer) {
			if first() {
				panic("test panic in a task")
			}
		}
	}
	return nil
}

// firstTime says whether this is the first call with path in the whole test
// (across processes): it creates path.
func firstTime(path string) bool {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// testFlushHooks returns the flush hook a test worker runs:
//
//	kill-flush-once:PATH  the first flush of the whole test SIGKILLs its worker
//	crash-flush           every flush exits with status 4
func testFlushHooks(hook string) func() {
	name, arg, _ := strings.Cut(hook, ":")
	switch name {
	case "kill-flush-once":
		return func() {
			if firstTime(arg) {
				fmt.Fprintln(os.Stderr, "killing myself while flushing")
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Hour)
			}
		}
	case "crash-flush":
		return func() {
			fmt.Fprintln(os.Stderr, "boom: test worker crashing in a flush")
			os.Exit(4)
		}
	}
	return nil
}

// testSpillHooks returns the spill hook a test worker runs:
//
//	kill-spilled-once:PATH  the first result written to files (of the whole
//	                        test) SIGKILLs its worker before announcing them
func testSpillHooks(hook string) func() {
	name, arg, _ := strings.Cut(hook, ":")
	if name != "kill-spilled-once" {
		return nil
	}
	return func() {
		if firstTime(arg) {
			fmt.Fprintln(os.Stderr, "killing myself with result files written")
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Hour)
		}
	}
}

// badReady answers the handshake with a protocol version from the future.
func badReady() int {
	proto, err := redirectStdout()
	if err != nil {
		return 2
	}
	dec := wire.NewDecoder(os.Stdin, wire.Limits{})
	if _, err := dec.ReadMsg(); err != nil {
		return 2
	}
	enc := wire.NewEncoder(proto, nil)
	enc.WriteMsg(&wire.Ready{Version: wire.Version + 1, PID: os.Getpid()})
	enc.Flush()
	return 0
}
