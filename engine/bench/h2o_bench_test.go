package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/proc"
	"github.com/dfq/dfq/io/h2o"
)

// benchSeed is the seed of the Go benchmarks' dataset.
const benchSeed = 1

// benchRows is the Go benchmarks' dataset size: $DFQ_BENCH_ROWS (1e6, 1000000
// or 1_000_000 style), default 1e6.
func benchRows(b *testing.B) int64 {
	s := os.Getenv("DFQ_BENCH_ROWS")
	if s == "" {
		return 1_000_000
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if n, ierr := strconv.ParseInt(s, 0, 64); ierr == nil {
			f, err = float64(n), nil
		}
	}
	if err != nil || f < 1 || f != math.Trunc(f) || f > 1e12 {
		b.Fatalf("DFQ_BENCH_ROWS=%q: want a positive whole number such as 1e6", s)
	}
	return int64(f)
}

// benchData returns the benchmark dataset, generating it on first use into
// the system's temporary directory, keyed by size and seed, where later runs
// find it. The file appears atomically, so concurrent runs are safe.
func benchData(b *testing.B, rows int64) string {
	cfg := h2o.Config{Rows: rows, K: 100, Seed: benchSeed}
	path := filepath.Join(os.TempDir(), "dfq-bench", fmt.Sprintf("%s_seed%d.parquet", cfg.Name(), benchSeed))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("generating %d rows into %s", rows, path)
	if err := cfg.WriteParquet(context.Background(), path, runtime.NumCPU()); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkH2O runs every query of the suite on every executor and worker
// count, from the file to the materialised result:
//
//	go test -bench H2O -count 6 ./engine/bench | tee new.txt
//	benchstat old.txt new.txt
//
// Names are BenchmarkH2O/<query>/<mode>-w<workers>; the dataset has
// $DFQ_BENCH_ROWS rows (default 1e6). Procs pools are started once per
// worker count and warmed up before timing.
func BenchmarkH2O(b *testing.B) {
	frame, path, rows := benchFrame(b)
	benchSuite(b, frame, path, rows)
}

// benchFrame returns the benchmark dataset as a frame scanning its file,
// the file and its rows.
func benchFrame(b *testing.B) (*engine.Frame, string, int64) {
	rows := benchRows(b)
	path := benchData(b, rows)
	frame := engine.Scan(path)
	if err := frame.Err(); err != nil {
		b.Fatal(err)
	}
	return frame, path, rows
}

// BenchmarkH2OMemory runs the suite over the same data loaded into memory
// (engine.FromRecords, strings decoded): what an embedding program holding
// Arrow records gets. Under procs the workers read the records from a
// shared-memory file mapped in place (proc.Pool.ShareTable), written by the
// warm-up run.
func BenchmarkH2OMemory(b *testing.B) {
	rows := benchRows(b)
	path := benchData(b, rows)
	ctx := context.Background()
	res, err := engine.Scan(path).Run(ctx, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var recs []arrow.Record
	for {
		rec, err := res.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, rec)
	}
	schema := res.Schema()
	res.Close()
	b.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	benchSuite(b, engine.FromRecords(schema, recs...), path, rows)
}

// benchSuite runs every query of the suite over frame (read from path) on
// every executor and worker count.
func benchSuite(b *testing.B, frame *engine.Frame, path string, rows int64) {
	qo := engine.QueryOptions{Tables: map[string]*engine.Frame{Table: frame}}
	pools := map[int]*proc.Pool{}
	b.Cleanup(func() {
		for _, p := range pools {
			p.Close()
		}
	})
	cfg := Config{Data: []string{path}, Queries: Suite()}
	if err := cfg.defaults(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range cfg.Queries {
		b.Run(q.Name, func(b *testing.B) {
			for _, c := range cfg.configs() {
				b.Run(fmt.Sprintf("%s-w%d", c.mode, c.workers), func(b *testing.B) {
					o := engine.Options{Mode: c.mode, Workers: c.workers}
					if c.mode == engine.Procs {
						if pools[c.workers] == nil {
							p, err := proc.NewPool(proc.Options{Workers: c.workers})
							if err != nil {
								b.Fatal(err)
							}
							pools[c.workers] = p
						}
						o.Pool = pools[c.workers]
					}
					// Warm up (starts the pool's workers, fills the page cache,
					// writes shared tables).
					tbl, err := engine.QueryWith(ctx, q.SQL, qo, o)
					if err != nil {
						b.Fatal(err)
					}
					tbl.Release()
					for b.Loop() {
						tbl, err := engine.QueryWith(ctx, q.SQL, qo, o)
						if err != nil {
							b.Fatal(err)
						}
						tbl.Release()
					}
					b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				})
			}
		})
	}
}

// BenchmarkH2OSpeedup measures each query's speedups in one run: every
// iteration runs the query once on each of the sequential executor, the
// goroutine executor and the process executor (2 workers each, a warm
// pool), one after another, so that the load of other work on the machine
// falls on all three alike. It reports the median time of each executor
// (seq-ms, threads-ms, procs-ms) and the ratios of those medians: seq/threads,
// seq/procs and procs/threads.
//
//	DFQ_BENCH_ROWS=1e7 go test -run '^$' -bench H2OSpeedup -benchtime 15x -count 3 ./engine/bench
//
// ns/op is the time of the three runs together.
func BenchmarkH2OSpeedup(b *testing.B) {
	frame, _, _ := benchFrame(b)
	qo := engine.QueryOptions{Tables: map[string]*engine.Frame{Table: frame}}
	pool, err := proc.NewPool(proc.Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pool.Close() })
	execs := []struct {
		name string
		o    engine.Options
	}{
		{"seq", engine.Options{Mode: engine.Sequential}},
		{"threads", engine.Options{Mode: engine.Threads, Workers: 2}},
		{"procs", engine.Options{Mode: engine.Procs, Workers: 2, Pool: pool}},
	}
	ctx := context.Background()
	for _, q := range Suite() {
		b.Run(q.Name, func(b *testing.B) {
			times := make([][]float64, len(execs))
			run := func(i int) time.Duration {
				t0 := time.Now()
				tbl, err := engine.QueryWith(ctx, q.SQL, qo, execs[i].o)
				if err != nil {
					b.Fatalf("%s on %s: %v", q.Name, execs[i].name, err)
				}
				d := time.Since(t0)
				tbl.Release()
				return d
			}
			for i := range execs {
				run(i) // warm up
			}
			for b.Loop() {
				for i := range execs {
					times[i] = append(times[i], float64(run(i))/1e6)
				}
			}
			med := make([]float64, len(execs))
			for i, e := range execs {
				med[i], _, _ = summarize(times[i])
				b.ReportMetric(med[i], e.name+"-ms")
			}
			b.ReportMetric(med[0]/med[1], "seq/threads")
			b.ReportMetric(med[0]/med[2], "seq/procs")
			b.ReportMetric(med[2]/med[1], "procs/threads")
		})
	}
}
