//go:build !linux

package arrowipc

import "os"

// mapWhole maps the first size bytes of f read-only.
func mapWhole(f *os.File, size int64) ([]byte, error) { return mapFile(f, size) }
