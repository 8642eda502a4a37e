//go:build unix && !linux

package proc

import (
	"os"
	"syscall"
)

// procAttr has nothing to add outside Linux: there a worker notices its
// parent's death by the end of its standard input.
func procAttr() *syscall.SysProcAttr { return nil }

// redirectStdout keeps the process's standard output for the protocol and
// points file descriptor 1 at standard error (see the Linux version).
func redirectStdout() (*os.File, error) {
	fd, err := syscall.Dup(1)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Dup2(2, 1); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "dfq-protocol"), nil
}

// growPipe does nothing here: pipe capacity is Linux's F_SETPIPE_SZ.
func growPipe(*os.File) {}
