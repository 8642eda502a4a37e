//go:build !unix

package proc

import (
	"os"
	"syscall"
)

func procAttr() *syscall.SysProcAttr { return nil }

// redirectStdout cannot move file descriptors here; it points os.Stdout at
// standard error so that fmt.Println and friends stay off the protocol.
func redirectStdout() (*os.File, error) {
	out := os.Stdout
	os.Stdout = os.Stderr
	return out, nil
}

// growPipe does nothing here: pipe capacity is Linux's F_SETPIPE_SZ.
func growPipe(*os.File) {}
