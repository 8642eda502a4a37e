package bench

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/dfq/dfq/engine/proc"
)

// TestMain makes the test binary a dfq worker when the process executor
// starts it (pools with a nil Command re-execute this binary), and removes
// the test data afterwards.
func TestMain(m *testing.M) {
	if proc.IsWorker() {
		os.Exit(proc.RunWorker())
	}
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
