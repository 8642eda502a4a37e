//go:build linux

package proc

import (
	"os"
	"syscall"
)

// procAttr makes the kernel SIGKILL a worker when the thread that started it
// exits; Go does not end its threads while the program runs (it would only
// for a goroutine that exits while locked to its thread, and the pool never
// locks one), so in practice this is when the parent process dies.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// redirectStdout keeps the process's standard output for the protocol and
// points file descriptor 1 at standard error, so that anything else writing
// to stdout (a stray fmt.Println) lands in the log instead of corrupting the
// protocol stream.
func redirectStdout() (*os.File, error) {
	fd, err := syscall.Dup(1)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Dup3(2, 1, 0); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "dfq-protocol"), nil
}
