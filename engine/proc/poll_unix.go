//go:build unix

package proc

import (
	"os"
	"syscall"
)

// pollable returns f's descriptor as a file in non-blocking mode, whose
// reads and writes wait in the Go runtime's network poller. A blocking read
// of the parent's pipe holds a scheduler slot (P) in the system call: the
// goroutine it has just woken (the task loop, given a message) waited on
// that slot until the runtime's monitor took it back, up to 10 ms in an idle
// process; measured, 4 to 10 ms before each task that a worker did not
// already have queued. f must not be used afterwards (its descriptor's mode
// changed); on error f is returned unchanged.
func pollable(f *os.File) *os.File {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return f
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return f
	}
	return os.NewFile(uintptr(fd), f.Name())
}
