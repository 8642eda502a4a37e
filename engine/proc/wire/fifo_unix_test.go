//go:build unix

package wire

import (
	"bytes"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// TestResultFileFIFO: a result "file" that is a FIFO is refused without
// opening it (which would block).
func TestResultFileFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "r-1.arrows")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	res := &Result{ID: 5, Streams: []int{1}, Files: []string{fifo}}
	_, _, err := NewDecoder(&bytes.Buffer{}, Limits{}).ReadResult(res, func(string) error { return nil }, memory.DefaultAllocator)
	require.ErrorIs(t, err, ErrProtocol)
	require.ErrorContains(t, err, "not a regular file")
}
