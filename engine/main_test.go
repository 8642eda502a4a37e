package engine_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"go.uber.org/goleak"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/internal/check"
	"github.com/dfq/dfq/engine/proc"
)

// h2oDirs are temporary directories removed after the tests.
var h2oDirs []string

// TestMain runs the test binary as a dfq worker when the process executor
// starts it, and otherwise adds warm process pools of 1, 2 and 3 workers to
// the executors every query is checked on.
func TestMain(m *testing.M) {
	// Freed Arrow memory is poisoned, here and in worker processes, so a
	// use after release is a wrong answer rather than a silent one.
	recycle.Default = recycle.New(recycle.Options{Poison: true})
	if proc.IsWorker() {
		os.Exit(proc.RunWorker())
	}
	var pools []*proc.Pool
	for _, n := range []int{1, 2, 3} {
		p, err := proc.NewPool(proc.Options{Workers: n})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pools = append(pools, p)
		check.Executors = append(check.Executors, engine.Options{Mode: engine.Procs, Workers: n, Pool: p})
	}
	code := m.Run()
	for _, p := range pools {
		p.Close()
	}
	for _, d := range h2oDirs {
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
