//go:build !unix

package arrowipc

import (
	"errors"
	"os"
)

// mapFile is not available here: mapped splits are read by copying.
func mapFile(*os.File, int64, bool) ([]byte, error) {
	return nil, errors.New("memory maps are not supported on this platform")
}

func unmapFile([]byte) {}

// fileKey: files are not cached here (nothing is mapped).
func fileKey(*os.File, int64) (mapKey, bool) { return mapKey{}, false }
