//go:build !unix

package proc

import "os"

// pollable returns f: outside Unix the runtime's poller does not serve pipes.
func pollable(f *os.File) *os.File { return f }
