package arrowipc

import (
	"fmt"
	"os"
	"syscall"
)

// mapWhole maps the first size bytes of f read-only with its pages
// populated up front: the caller reads all of them.
func mapWhole(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, fmt.Errorf("cannot map %d bytes", size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	return data, nil
}
