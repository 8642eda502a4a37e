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

// pipeSize is the capacity asked for the pipe that carries a worker's
// results: 16 times Linux's default of 64 KiB and, by default, the most an
// unprivileged process may ask for (/proc/sys/fs/pipe-max-size).
const pipeSize = 1 << 20

// growPipe asks for a larger capacity of the pipe f reads from, so that a
// worker sending a large partial result (hundreds of megabytes for h2o q10)
// blocks and wakes the parent a sixteenth as often. It is best effort: a
// refusal (a lower limit, or the user's pipe quota) keeps the default.
func growPipe(f *os.File) {
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, pipeSize)
		})
	}
}
