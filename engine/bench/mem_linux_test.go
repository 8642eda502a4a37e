package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tdfq\nVmPeak:\t  100 kB\nVmHWM:\t    2048 kB\nThreads:\t5\n")
	v, ok := statusField(status, "VmHWM:")
	require.True(t, ok)
	require.Equal(t, int64(2048*1024), v)
	v, ok = statusField(status, "Threads:")
	require.True(t, ok)
	require.Equal(t, int64(5), v)
	_, ok = statusField(status, "VmSwap:")
	require.False(t, ok)
	_, ok = statusField([]byte("VmHWM:\tlots kB\n"), "VmHWM:")
	require.False(t, ok)
}

func TestPeak(t *testing.T) {
	require.NoError(t, resetPeak([]int{0}))
	before, err := readPeak([]int{0})
	require.NoError(t, err)
	// Touch 64 MiB: the high-water mark must rise by about that much.
	b := make([]byte, 64<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	after, err := readPeak([]int{0})
	require.NoError(t, err)
	require.Greater(t, after[0]-before[0], int64(48<<20))
	require.Equal(t, byte(1), b[len(b)-4096])
	_, err = readPeak([]int{1 << 30})
	require.Error(t, err)
	kids, err := childrenWith("DFQ_BENCH_NO_SUCH_MARKER=1")
	require.NoError(t, err)
	require.Empty(t, kids)
	require.Equal(t, 3, len(loadAverage()))
}
