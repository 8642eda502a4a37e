//go:build unix

package arrowipc

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only; whole, when the caller
// reads all of them, has the pages read in up front where the system can
// (one pass instead of a page fault per 4 KiB).
func mapFile(f *os.File, size int64, whole bool) ([]byte, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, fmt.Errorf("cannot map %d bytes", size)
	}
	flags := syscall.MAP_SHARED
	if whole {
		flags |= mapPopulate
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, flags)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	return data, nil
}

func unmapFile(data []byte) {
	if data != nil {
		syscall.Munmap(data)
	}
}

// fileKey identifies an open file for the mapping cache.
func fileKey(f *os.File, size int64) (mapKey, bool) {
	st, err := f.Stat()
	if err != nil {
		return mapKey{}, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return mapKey{}, false
	}
	return mapKey{dev: uint64(sys.Dev), ino: sys.Ino, size: size, mtime: st.ModTime().UnixNano()}, true
}
