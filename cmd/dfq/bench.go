package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/bench"
)

// benchHelp is bench's entry in help's command list.
var benchHelp = command{
	name:    "bench",
	summary: "measure a query or the h2o suite on every executor and worker count",
	usage:   `bench [flags] ("SQL" | --suite h2o) --data FILE_OR_GLOB`,
	details: `Runs a query, or the h2o benchmark suite (q1-q10, f1-f3), on the seq, threads and procs
executors at several worker counts, after checking that every configuration returns the
same rows as seq (a mismatch stops the benchmark: exit status 1, no numbers). The SQL
names the data as table x. For each query and configuration it reports the median, min
and max wall time of --runs runs after --warmup runs (from the file to the materialised
result), speedup over seq, parallel efficiency (speedup / workers), input rows per
second and peak memory (RSS high-water mark of dfq plus, for procs, its workers, over
one more untimed run that starts from a heap returned to the OS); and, apart, the
cold-start cost of a new procs pool and the bytes each procs query moved between dfq and
its workers. The measured runs of a query interleave the configurations (seq, threads, procs, seq, ...), so that load
from elsewhere on the machine falls on all of them alike.`,
	examples: []string{
		`dfq bench --suite h2o --data data/G1_1e7_1e2_0_0.parquet --workers 1,2 --json bench/results.json --plot bench/speedup.svg`,
		`dfq bench --data 'data/*.parquet' --modes seq,threads "SELECT id1, sum(v1) FROM x GROUP BY id1"`,
	},
	flags: `  --data PATH                files, globs or directories read as table x (repeatable)
  --suite h2o                run the h2o suite instead of one SQL query
  --name NAME                the SQL query's name in the report (default query)
  --modes LIST               executors to measure (default seq,threads,procs)
  --workers LIST             worker counts for threads and procs, e.g. 1,2,8
                             (default 1,2,4,... up to the CPU count)
  --runs N                   measured runs per query and configuration (default 3)
  --warmup N                 unmeasured runs before them (default 1; the first is checked)
  --json FILE                write every measurement and the machine as JSON
  --plot FILE                draw speedup against workers (.svg or .png)
  --from FILE                show a report saved with --json (table, --plot) instead of running
  -h, --help                 show this help
`,
}

// runBench is `dfq bench`.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var data benchList
	fs.Var(&data, "data", "input files, globs or directories, read as table x (repeatable)")
	suite := fs.String("suite", "", `run a benchmark suite: "h2o"`)
	name := fs.String("name", "query", "name of the SQL query in the report")
	modes := fs.String("modes", "seq,threads,procs", "executors to measure")
	workers := fs.String("workers", "", "worker counts for threads and procs (default 1,2,4,... up to the CPU count)")
	runs := fs.Int("runs", 3, "measured runs per query and configuration")
	warmup := fs.Int("warmup", 1, "warm-up runs before them (the first one's result is checked)")
	jsonPath := fs.String("json", "", "write every measurement and the machine to this JSON file")
	plotPath := fs.String("plot", "", "draw speedup against workers to this .svg or .png file")
	from := fs.String("from", "", "show a report saved with --json instead of running")
	pos, err := parseArgs(fs, "bench", args, stdout)
	if err != nil {
		return err
	}
	if *plotPath != "" {
		if ext := strings.ToLower(filepath.Ext(*plotPath)); ext != ".svg" && ext != ".png" {
			return usagef("bench: --plot wants a .svg or .png file, got %q", *plotPath)
		}
	}
	if *from != "" {
		if len(pos) > 0 || *suite != "" || len(data) > 0 {
			return usagef("bench: --from shows a saved report: give no query, --suite or --data")
		}
		rep, err := benchLoad(*from)
		if err != nil {
			return err
		}
		return benchOutput(rep, "", *plotPath, stdout)
	}
	cfg := bench.Config{Data: data, Runs: *runs, Warmup: *warmup, WorkerLog: stderr, Mem: newAllocator()}
	switch {
	case *suite != "" && len(pos) > 0:
		return usagef("bench: give a SQL query or --suite, not both")
	case *suite == "h2o":
		cfg.Queries = bench.Suite()
	case *suite != "":
		return usagef("bench: unknown suite %q (the one suite is h2o)", *suite)
	case len(pos) == 1:
		cfg.Queries = []bench.Query{{Name: *name, SQL: pos[0]}}
	case len(pos) > 1:
		return usagef("bench: one SQL query at a time (quote it), got %d arguments", len(pos))
	default:
		return usagef("bench: give a SQL query or --suite h2o")
	}
	if len(data) == 0 {
		return usagef("bench: --data is required (the files the query reads as table x)")
	}
	if *runs < 1 || *warmup < 1 {
		return usagef("bench: --runs and --warmup must be at least 1")
	}
	for _, m := range strings.Split(*modes, ",") {
		m = strings.TrimSpace(m)
		switch engine.Mode(m) {
		case engine.Sequential, engine.Threads, engine.Procs:
			cfg.Modes = append(cfg.Modes, engine.Mode(m))
		default:
			return usagef("bench: unknown executor %q in --modes (want seq, threads, procs)", m)
		}
	}
	if *workers != "" {
		for _, w := range strings.Split(*workers, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(w))
			if err != nil || n < 1 {
				return usagef("bench: --workers wants positive counts like 1,2,8, got %q", *workers)
			}
			cfg.Workers = append(cfg.Workers, n)
		}
	}
	if *plotPath != "" {
		if !containsMode(cfg.Modes, engine.Sequential) {
			return usagef("bench: --plot needs the seq executor in --modes (speedups are over seq)")
		}
	}
	if cfg.WorkerCommand, err = workerCommand(); err != nil {
		return err
	}
	progress := isTerminal(stderr)
	if progress {
		t0 := time.Now()
		cfg.Progress = func(p bench.Progress) {
			fmt.Fprintf(stderr, "\r\033[K[%d/%d %s] %s %s w%d %s %d/%d", p.Step, p.Steps, time.Since(t0).Round(time.Second),
				p.Query, p.Mode, p.Workers, p.Phase, p.Run, p.Runs)
		}
	}
	rep, err := bench.Run(ctx, cfg)
	if progress {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	return benchOutput(rep, *jsonPath, *plotPath, stdout)
}

// benchOutput writes a report: JSON and the chart to files when named, the
// table to stdout.
func benchOutput(rep *bench.Report, jsonPath, plotPath string, stdout io.Writer) error {
	if jsonPath != "" {
		if err := benchWriteFile(jsonPath, rep.WriteJSON); err != nil {
			return err
		}
	}
	if plotPath != "" {
		if err := os.MkdirAll(filepath.Dir(plotPath), 0o755); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if err := bench.Plot(rep, plotPath); err != nil {
			return err
		}
	}
	return rep.WriteText(stdout)
}

// benchLoad reads a report saved with --json.
func benchLoad(path string) (*bench.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("bench: %s is not a saved report: %w", path, err)
	}
	if len(rep.Results) == 0 {
		return nil, fmt.Errorf("bench: %s holds no measurements", path)
	}
	return &rep, nil
}

func containsMode(ms []engine.Mode, m engine.Mode) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// benchWriteFile writes a file through write, creating its directory.
func benchWriteFile(path string, write func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("bench: %w", cerr)
		}
	}()
	return write(f)
}

// benchList is a repeatable string flag.
type benchList []string

func (l *benchList) String() string { return strings.Join(*l, ",") }

func (l *benchList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
