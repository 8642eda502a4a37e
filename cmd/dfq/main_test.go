package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dfq/dfq/engine/proc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestMain makes the test binary a dfq worker when the process executor
// starts it, points the CLI's worker command at this binary, and checks for
// leaked goroutines after the tests.
func TestMain(m *testing.M) {
	// Freed Arrow memory is poisoned, here and in worker processes, so a
	// use after release is a wrong answer rather than a silent one.
	recycle.Default = recycle.New(recycle.Options{Poison: true})
	if proc.IsWorker() {
		os.Exit(proc.RunWorker())
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workerCommand = func() ([]string, error) { return []string{exe}, nil }
	// Output goes to buffers: no test sees a terminal unless it says so.
	isTerminal = func(any) bool { return false }
	termWidth = func(any) int { return 0 }
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// tempDirs are removed after all tests (data shared between tests).
var tempDirs []string

// result is what one dfq invocation did.
type result struct {
	stdout, stderr string
	code           int
	err            error
}

// dfq runs the command line args with stdin and returns its output and exit
// code. Arrow memory comes from a checked allocator that must be empty
// afterwards, and the output must never hold a Go panic trace.
func dfq(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	r := dfqWith(t, mem, stdin, args...)
	mem.AssertSize(t, 0)
	return r
}

// dfqWith is dfq with the allocator given and not checked.
func dfqWith(t *testing.T, mem memory.Allocator, stdin string, args ...string) result {
	t.Helper()
	prev := newAllocator
	newAllocator = func() memory.Allocator { return mem }
	defer func() { newAllocator = prev }()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	code := exitCode(err, &errb)
	r := result{stdout: out.String(), stderr: errb.String(), code: code, err: err}
	for _, bad := range []string{"panic:", "goroutine ", ".go:"} {
		require.NotContains(t, r.stderr, bad, "stderr shows a Go trace")
	}
	return r
}

// ok runs dfq and requires success.
func ok(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := dfq(t, stdin, args...)
	require.Equal(t, 0, r.code, "dfq %q failed: %s", args, r.stderr)
	return r.stdout
}
