package proc

import (
	"context"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResultPipeSize: a worker's results come through a pipe of pipeSize
// bytes (where the system allows it; its default limit does).
func TestResultPipeSize(t *testing.T) {
	p, _ := newTestPool(t, Options{Workers: 1})
	pr, err := p.startProcess(context.Background(), 1)
	require.NoError(t, err)
	defer pr.kill()
	const fGetPipeSz = 1032 // F_GETPIPE_SZ
	var size uintptr
	var errno syscall.Errno
	rc, err := pr.stdout.SyscallConn()
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) {
		size, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, fGetPipeSz, 0)
	}))
	require.Zero(t, errno)
	require.Equal(t, uintptr(pipeSize), size)
}
