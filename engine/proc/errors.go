package proc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dfq/dfq/engine/proc/wire"
	"github.com/dfq/dfq/io/source"
)

// Errors callers may test for with errors.Is.
var (
	// ErrWorkerDied: a worker process exited or was killed while it held work.
	ErrWorkerDied = errors.New("worker died")
	// ErrProtocol: a worker sent bytes that are not the protocol (it is killed).
	ErrProtocol = wire.ErrProtocol
	// ErrVersion: a worker speaks another protocol version.
	ErrVersion = wire.ErrVersion
	// ErrClosed: the pool was closed.
	ErrClosed = errors.New("proc: pool closed")
)

// WorkerError reports a worker process that failed: it died, was killed,
// broke the protocol, or could not be started.
type WorkerError struct {
	Worker int           // the worker's number, as in its "[worker N]" log prefix
	PID    int           // its process id (0 if it never started)
	Split  *source.Split // the split it was running, if any
	// Attempts is how many times the split was tried (the last on this worker).
	Attempts int
	Err      error  // what happened
	Stderr   string // the tail of the worker's standard error
}

func (e *WorkerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "proc: worker %d", e.Worker)
	if e.PID != 0 {
		fmt.Fprintf(&b, " (pid %d)", e.PID)
	}
	if e.Split != nil {
		fmt.Fprintf(&b, " running %s", describeSplit(*e.Split))
		if e.Attempts > 1 {
			fmt.Fprintf(&b, " (attempt %d)", e.Attempts)
		}
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if tail := strings.TrimSpace(e.Stderr); tail != "" {
		b.WriteString("; its stderr ended with:\n")
		b.WriteString(tail)
	}
	return b.String()
}

func (e *WorkerError) Unwrap() error { return e.Err }

// TaskError reports a task that failed inside a healthy worker: the error
// exec.RunSplit returned there (a bad file, a type error) or a recovered
// panic; or a failed flush of the partial result of Held splits.
type TaskError struct {
	Worker int
	Split  source.Split
	Held   int    // for a failed flush: the splits whose partial result was lost
	Code   string // wire.CodeTask or wire.CodePanic
	Msg    string
}

func (e *TaskError) Error() string {
	if e.Held > 0 {
		return fmt.Sprintf("proc: the partial result of %d splits failed in worker %d: %s", e.Held, e.Worker, e.Msg)
	}
	return fmt.Sprintf("proc: %s failed in worker %d: %s", describeSplit(e.Split), e.Worker, e.Msg)
}

// describeSplit names a split for error messages: index, file and the part
// of the file it covers.
func describeSplit(s source.Split) string {
	var b strings.Builder
	fmt.Fprintf(&b, "split %d (%s", s.Index, s.Path)
	if len(s.RowGroups) > 0 {
		fmt.Fprintf(&b, " row groups %v", s.RowGroups)
		if s.RowCount > 0 {
			fmt.Fprintf(&b, " rows [%d, %d)", s.RowOffset, s.RowOffset+s.RowCount)
		}
	}
	if len(s.Batches) > 0 {
		fmt.Fprintf(&b, " batches %v", s.Batches)
	}
	if s.Length > 0 {
		fmt.Fprintf(&b, " bytes [%d, %d)", s.Offset, s.Offset+s.Length)
	}
	b.WriteString(")")
	return b.String()
}
