//go:build unix

package proc

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPollable: the file pollable returns reads what the pipe carries, in
// non-blocking mode (so that its reads wait in the poller), and a read
// waiting on it ends when the writer closes.
func TestPollable(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	// Make the read end blocking, as a worker's inherited stdin is.
	require.NoError(t, syscall.SetNonblock(int(r.Fd()), false))
	p := pollable(r)
	require.NotSame(t, r, p)
	defer r.Close()
	defer p.Close()
	// Not p.Fd(): that would make the descriptor blocking again.
	var flags int
	rc, err := p.SyscallConn()
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) { flags, err = fcntl(int(fd)) }))
	require.NoError(t, err)
	require.NotZero(t, flags&syscall.O_NONBLOCK, "non-blocking")

	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(p)
		got <- b
	}()
	time.Sleep(10 * time.Millisecond) // the reader waits in the poller
	_, err = w.Write([]byte("task"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	select {
	case b := <-got:
		require.Equal(t, "task", string(b))
	case <-time.After(5 * time.Second):
		require.Fail(t, "read did not end at the writer's close")
	}
}

func fcntl(fd int) (int, error) {
	v, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(v), nil
}
