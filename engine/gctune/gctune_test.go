package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// gcPercent reads the current GOGC.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestTune: 300 while the live heap is small, 100 once it holds more than
// LiveLimit, 300 again when that is freed; nothing at all unless enabled.
func TestTune(t *testing.T) {
	defer debug.SetGCPercent(gcPercent())
	debug.SetGCPercent(100)
	current = 100

	Tune()
	require.Equal(t, 100, gcPercent(), "not enabled: no change")

	enabled = true
	defer func() { enabled = false }()
	runtime.GC()
	Tune()
	require.Equal(t, Percent, gcPercent())
	require.False(t, Large())

	big := make([]byte, LiveLimit+(64<<20))
	for i := range big {
		big[i] = byte(i)
	}
	runtime.GC()
	require.True(t, Large())
	Tune()
	require.Equal(t, 100, gcPercent())
	runtime.KeepAlive(big)

	big = nil
	runtime.GC()
	Tune()
	require.Equal(t, Percent, gcPercent())
}
