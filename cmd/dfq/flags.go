package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/dfq/dfq/engine"
)

// execFlags are the flags that say how queries run (query and explain).
type execFlags struct {
	mode     string
	workers  int
	memLimit sizeFlag
	timer    bool
	progress string
}

func (e *execFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.mode, "mode", string(engine.Threads), "executor: seq, threads or procs")
	fs.IntVar(&e.workers, "workers", runtime.NumCPU(), "goroutines or worker processes")
	fs.Var(&e.memLimit, "memory-limit", "cap on Arrow memory, e.g. 4GiB (0: none)")
	fs.BoolVar(&e.timer, "timer", false, "print time, rows, bytes read, row groups pruned and peak memory to stderr")
	fs.StringVar(&e.progress, "progress", "auto", "progress bar on stderr: auto, on or off")
}

func (e *execFlags) check() error {
	switch engine.Mode(e.mode) {
	case engine.Sequential, engine.Threads, engine.Procs:
	default:
		return usagef("--mode %q: want seq, threads or procs", e.mode)
	}
	if e.workers < 1 {
		return usagef("--workers %d: want at least 1", e.workers)
	}
	switch e.progress {
	case "auto", "on", "off":
	default:
		return usagef("--progress %q: want auto, on or off", e.progress)
	}
	return nil
}

const execFlagHelp = `  --mode seq|threads|procs   executor (default threads): one goroutine, a pool of
                             goroutines, or worker processes for the scan stage
  --workers N                goroutines or worker processes (default: CPUs)
  --memory-limit SIZE        fail the query when its Arrow buffers would exceed SIZE
                             (4GiB, 512MiB, 1.5GB, bytes; 0: no limit)
  --timer                    print elapsed time, rows, bytes read, row groups pruned
                             and peak memory to stderr
  --progress auto|on|off     progress bar on stderr for queries over a second
                             (auto: when stderr is a terminal)
`

const queryFlagHelp = `  -f FILE                    read the SQL from FILE ('-': standard input)
  --format FORMAT            auto, table, csv, tsv, json, jsonl, markdown, parquet,
                             arrow or arrows (auto: table on a terminal, else CSV;
                             with -o, from the file's extension)
  -o FILE                    write the result to FILE instead of standard output
  --max-rows N               rows the table shows (default 40; -1: all)
` + execFlagHelp + `  -h, --help                 show this help
`

const explainFlagHelp = `  --analyze                  run the query and report what each stage did
  -f FILE                    read the SQL from FILE ('-': standard input)
` + execFlagHelp + `  -h, --help                 show this help
`

const describeFlagHelp = `  --format FORMAT            table (default), csv, tsv, json, jsonl or markdown
  -h, --help                 show this help
`

// sizeFlag is a byte count given as 4GiB, 512MiB, 1.5GB, 100k or 1048576.
type sizeFlag struct{ bytes int64 }

func (s *sizeFlag) String() string {
	if s == nil || s.bytes == 0 {
		return "0"
	}
	return formatBytes(s.bytes)
}

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	s.bytes = n
	return nil
}

// sizeUnits maps unit suffixes (lower case) to multipliers: KB, MB, GB, TB
// are powers of 1000; KiB, MiB, GiB, TiB and the bare K, M, G, T powers of
// 1024.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// parseSize parses a byte count with an optional unit.
func parseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid size %q (want a number of bytes with an optional unit: 4GiB, 512MiB, 1.5GB)", v)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", v)
	}
	b := f * mult
	if b >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", v)
	}
	return int64(b), nil
}

// formatBytes renders n bytes with a binary unit: 512 B, 1.5 KiB, 4.0 GiB.
func formatBytes(n int64) string {
	if n < 1024 && n > -1024 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if math.Abs(f) < 1024 || u == "TiB" {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	panic("unreachable")
}

// parseArgs parses flags anywhere among args (flag.Parse stops at the first
// argument) and returns the other arguments. An argument that reads as SQL
// is never a flag, so that "-- comment\nSELECT 1" is a query; after "--"
// every argument is a plain one. -h and --help print the command's help to
// stdout and return errHelp.
func parseArgs(fs *flag.FlagSet, name string, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	for len(args) > 0 {
		// Flags are parsed up to the next argument that starts like a flag
		// but is SQL.
		j := 0
		for j < len(args) && !(strings.HasPrefix(args[j], "-") && looksLikeSQL(args[j])) {
			j++
		}
		rest, dashdash, err := parseFlags(fs, args[:j])
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, commandHelp(name))
			return nil, errHelp
		}
		if err != nil {
			return nil, usagef("%s: %v", name, err)
		}
		pos = append(pos, rest...)
		if dashdash {
			return append(pos, args[j:]...), nil
		}
		if j < len(args) {
			pos = append(pos, args[j])
			j++
		}
		args = args[j:]
	}
	return pos, nil
}

// parseFlags parses flags among args and returns the other arguments, and
// whether "--" ended the flags.
func parseFlags(fs *flag.FlagSet, args []string) (pos []string, dashdash bool, err error) {
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, false, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), true, nil
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return pos, false, nil
}
