//go:build !linux

package bench

import "errors"

const memSupported = false

const memMethod = "not measured: per-run peak RSS needs Linux's /proc (VmHWM and clear_refs)"

const memShort = "not measured (Linux only)"

var errNoPeak = errors.New("bench: peak RSS is measured on Linux only")

func resetPeak([]int) error              { return errNoPeak }
func readPeak([]int) ([]int64, error)    { return nil, errNoPeak }
func childrenWith(string) ([]int, error) { return nil, errNoPeak }
func totalMemory() int64                 { return 0 }
func cpuModel() string                   { return "" }

func loadAverage() []float64 { return nil }
