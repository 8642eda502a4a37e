package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/io/h2o"
	"github.com/dfq/dfq/io/sink"
	"github.com/dfq/dfq/ops/expr"
)

// demoQuery is one query of the demo, built with the frame API.
type demoQuery struct {
	title string
	build func(f *engine.Frame) *engine.Frame
}

var demoQueries = []demoQuery{
	{"q1: sum(v1) by id1 (100 groups)", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1").Agg(engine.Sum(expr.Col("v1")).As("v1")).
			OrderBy(engine.Asc(expr.Col("id1")))
	}},
	{"q3: sum(v1), avg(v3) by id3 (N/100 groups), top 5 by v1", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id3").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Avg(expr.Col("v3")).As("v3")).
			OrderBy(engine.Desc(expr.Col("v1")), engine.Asc(expr.Col("id3"))).Limit(5)
	}},
	{"q6: median and stddev of v3 by id4, id5, first 5", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id4", "id5").Agg(engine.Median(expr.Col("v3")).As("median_v3"), engine.StddevSamp(expr.Col("v3")).As("sd_v3")).
			OrderBy(engine.Asc(expr.Col("id4")), engine.Asc(expr.Col("id5"))).Limit(5)
	}},
	{"f1: count, sum(v3), avg(v1) where v2 > 10 and id4 < 50", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v2").Gt(expr.Int(10)).And(expr.Col("id4").Lt(expr.Int(50)))).
			Agg(engine.Count().As("n"), engine.Sum(expr.Col("v3")).As("sum_v3"), engine.Avg(expr.Col("v1")).As("avg_v1"))
	}},
	{"f2: sum(v1), count(*) by id1 where v3 > 50, top 5", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v3").Gt(expr.Float(50))).
			GroupBy("id1").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Count().As("n")).
			OrderBy(engine.Desc(expr.Col("v1")), engine.Asc(expr.Col("id1"))).Limit(5)
	}},
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	rows := fs.Int64("rows", 2_000_000, "rows of h2o sample data to generate")
	dir := fs.String("dir", "data/demo", "where to keep the generated data")
	workers := fs.Int("workers", runtime.NumCPU(), "goroutines for the threads executor")
	pos, err := parseArgs(fs, "demo", args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("demo: unexpected argument %q", pos[0])
	}
	if *rows <= 0 || *workers <= 0 {
		return usagef("demo: --rows and --workers must be positive")
	}
	cfg := h2o.Config{Rows: *rows, K: 100, Seed: 1}
	path := filepath.Join(*dir, cfg.Name()+".parquet")
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stdout, "Generating %d rows of h2o group-by data into %s ...\n", *rows, path)
		t0 := time.Now()
		if err := cfg.WriteParquet(ctx, path, *workers); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  done in %s\n", time.Since(t0).Round(time.Millisecond))
	}
	src := engine.Scan(path)
	if err := src.Err(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nData: %s\n", path)
	type timing struct {
		title    string
		seq, thr time.Duration
	}
	var times []timing
	for _, q := range demoQueries {
		f := q.build(src)
		fmt.Fprintf(stdout, "\n== %s\n", q.title)
		seq, tbl, err := timeQuery(ctx, f, engine.Options{Mode: engine.Sequential})
		if err != nil {
			return err
		}
		tbl.Release()
		thr, tbl, err := timeQuery(ctx, f, engine.Options{Mode: engine.Threads, Workers: *workers})
		if err != nil {
			return err
		}
		err = printTable(stdout, tbl)
		tbl.Release()
		if err != nil {
			return err
		}
		times = append(times, timing{q.title, seq, thr})
	}
	fmt.Fprintf(stdout, "\nTimings (%d rows; sequential vs %d goroutines):\n", *rows, *workers)
	for _, t := range times {
		fmt.Fprintf(stdout, "  %-58s seq %8s  threads %8s  speedup %.2fx\n", t.title,
			t.seq.Round(time.Millisecond), t.thr.Round(time.Millisecond), t.seq.Seconds()/t.thr.Seconds())
	}
	return nil
}

func timeQuery(ctx context.Context, f *engine.Frame, o engine.Options) (time.Duration, arrow.Table, error) {
	t0 := time.Now()
	tbl, err := f.Collect(ctx, o)
	return time.Since(t0), tbl, err
}

func printTable(w io.Writer, tbl arrow.Table) error {
	sw, err := sink.NewWriter("table", w, tbl.Schema(), sink.Options{MaxRows: 10})
	if err != nil {
		return err
	}
	tr := arrayTableReader(tbl)
	defer tr.Release()
	for tr.Next() {
		if err := sw.Write(tr.Record()); err != nil {
			sw.Close()
			return err
		}
	}
	return sw.Close()
}
