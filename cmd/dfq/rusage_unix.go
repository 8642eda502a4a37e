//go:build unix

package main

import (
	"runtime"
	"syscall"
)

// peakRSS returns the peak resident set size of this process and the
// largest of its reaped children (the worker processes of --mode procs), in
// bytes; ok is false when the system does not say.
func peakRSS() (self, children int64, ok bool) {
	var s, c syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &s) != nil || syscall.Getrusage(syscall.RUSAGE_CHILDREN, &c) != nil {
		return 0, 0, false
	}
	unit := int64(1024) // Linux and the BSDs report KiB
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		unit = 1 // bytes
	}
	return int64(s.Maxrss) * unit, int64(c.Maxrss) * unit, true
}
