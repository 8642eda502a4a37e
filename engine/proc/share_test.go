//go:build unix

package proc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRemoveStale: shared files of processes that are gone are removed;
// those of live processes (this one, init) and other files stay.
func TestRemoveStale(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	require.NoError(t, cmd.Run())
	dead := cmd.Process.Pid
	require.True(t, processGone(dead))
	require.False(t, processGone(os.Getpid()))

	dir := t.TempDir()
	names := map[string]bool{ // name -> kept
		fmt.Sprintf("%s%d-123.arrow", sharePrefix, dead):        false,
		fmt.Sprintf("%s%d-456.arrow", sharePrefix, os.Getpid()): true,
		fmt.Sprintf("%s%d-789.arrow", sharePrefix, 1):           true,
		sharePrefix + "x-1.arrow":                               true,
		"unrelated.arrow":                                       true,
	}
	for n := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600))
	}
	removeStale(dir)
	for n, kept := range names {
		_, err := os.Stat(filepath.Join(dir, n))
		if kept {
			require.NoError(t, err, n)
		} else {
			require.ErrorIs(t, err, os.ErrNotExist, n)
		}
	}
}
