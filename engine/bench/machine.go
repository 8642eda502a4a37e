package bench

import (
	"runtime"
	"runtime/debug"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU        string `json:"cpu"` // model name from /proc/cpuinfo
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Memory     int64  `json:"memory_bytes"` // total memory, 0 if unknown
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	GoVersion  string `json:"go_version"`
	GOAMD64    string `json:"goamd64,omitempty"`
	// Commit, CommitTime and Modified describe the dfq source the binary
	// was built from, when the build recorded it (debug.ReadBuildInfo).
	Commit     string `json:"commit,omitempty"`
	CommitTime string `json:"commit_time,omitempty"`
	Modified   bool   `json:"modified,omitempty"`
}

// ThisMachine describes the machine and binary running it.
func ThisMachine() Machine {
	m := Machine{
		CPU: cpuModel(), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Memory: totalMemory(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "GOAMD64":
				m.GOAMD64 = s.Value
			case "vcs.revision":
				m.Commit = s.Value
			case "vcs.time":
				m.CommitTime = s.Value
			case "vcs.modified":
				m.Modified = s.Value == "true"
			}
		}
	}
	if m.GOAMD64 == "" && runtime.GOARCH == "amd64" {
		m.GOAMD64 = "v1" // the default when the build did not record it
	}
	return m
}
