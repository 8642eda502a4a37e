package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// memSupported says whether peak RSS can be measured per run here.
const memSupported = true

// memMethod describes what Measurement.PeakRSS means on this system.
const memMethod = "peak resident set size of one more run of each configuration after its measured " +
	"runs, untimed: before it the benchmark runs the Go garbage collector, returns freed memory to the " +
	"OS and resets the kernel's RSS high-water mark (VmHWM, via /proc/PID/clear_refs) of itself and of " +
	"the procs executor's worker processes; after it, it reads VmHWM back. The number is the parent's " +
	"peak plus, for procs, the sum of every worker's peak (an upper bound of their simultaneous total). " +
	"Workers are started afresh for each query, so a worker's peak covers that query's runs only, " +
	"including Go heap it kept from the query's earlier runs. The timed runs start from the heap the " +
	"previous run left, as in a process that runs queries one after another."

// memShort is memMethod in one line.
const memShort = "kernel RSS high-water mark (VmHWM) of dfq plus, for procs, its workers, over one more untimed run after a reset"

// resetPeak resets the RSS high-water mark of the processes pids (0 is this
// process) to their current RSS.
func resetPeak(pids []int) error {
	for _, pid := range pids {
		if err := os.WriteFile(procPath(pid, "clear_refs"), []byte("5"), 0); err != nil {
			return fmt.Errorf("bench: resetting peak RSS: %w", err)
		}
	}
	return nil
}

// readPeak returns the RSS high-water mark of each of pids, in bytes.
func readPeak(pids []int) ([]int64, error) {
	out := make([]int64, len(pids))
	for i, pid := range pids {
		b, err := os.ReadFile(procPath(pid, "status"))
		if err != nil {
			return nil, fmt.Errorf("bench: reading peak RSS: %w", err)
		}
		v, ok := statusField(b, "VmHWM:")
		if !ok {
			return nil, fmt.Errorf("bench: no VmHWM in %s", procPath(pid, "status"))
		}
		out[i] = v
	}
	return out, nil
}

// statusField parses a "Name:   123 kB" line of /proc/PID/status, in bytes.
func statusField(status []byte, name string) (int64, bool) {
	for _, line := range bytes.Split(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) == 0 {
			return 0, false
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		if len(f) > 1 && f[1] == "kB" {
			v *= 1024
		}
		return v, true
	}
	return 0, false
}

func procPath(pid int, name string) string {
	if pid == 0 {
		return filepath.Join("/proc/self", name)
	}
	return filepath.Join("/proc", strconv.Itoa(pid), name)
}

// childrenWith returns the pids of this process's children whose environment
// holds the entry env ("NAME=value").
func childrenWith(env string) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("bench: listing processes: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(procPath(pid, "stat"))
		if err != nil {
			continue // gone, or not ours to read
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(self) {
			continue
		}
		environ, err := os.ReadFile(procPath(pid, "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(environ, []byte{0}) {
			if string(kv) == env {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids, nil
}

// totalMemory returns the machine's memory in bytes (0 if unknown).
func totalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	v, _ := statusField(b, "MemTotal:")
	return v
}

// cpuModel returns the processor's model name (or "").
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage returns the 1, 5 and 15 minute load averages (nil if unknown).
func loadAverage() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return nil
	}
	out := make([]float64, 3)
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil
		}
		out[i] = v
	}
	return out
}
