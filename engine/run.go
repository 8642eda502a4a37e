package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/plan"
	"github.com/dfq/dfq/engine/proc"
	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/ops/column"
)

// Mode selects an executor.
type Mode string

// Executors.
const (
	// Sequential runs everything on the calling goroutine: the baseline.
	Sequential Mode = "seq"
	// Threads runs partitions and merge buckets on a pool of goroutines.
	Threads Mode = "threads"
	// Procs runs the first stage of a query (scan, filter, project and the
	// partial aggregate, sort or repartition) in worker processes and merges
	// their results in this process. In-memory records are handed to the
	// workers through a shared-memory Arrow IPC file that each maps without
	// copying (see proc.Pool.ShareTable); records with a column type that
	// cannot be mapped run on goroutines. See Options.Pool.
	Procs Mode = "procs"
)

// Options says how to run a query. The zero value runs on Threads with one
// worker per CPU.
type Options struct {
	Mode Mode
	// Workers is the number of goroutines (0: runtime.NumCPU()). Sequential
	// ignores it.
	Workers int
	// BatchSize is the number of rows per record read (0: 64Ki).
	BatchSize int
	// Mem allocates every Arrow buffer. Nil means recycle.Default, which
	// reuses freed buffers: as with any Arrow allocator that frees, the
	// values of a released record (strings from String.Value included)
	// must not be used afterwards.
	Mem memory.Allocator
	// Pool is the worker-process pool for Procs. Nil starts a pool of Workers
	// processes for the query and stops it afterwards; pass a pool (see
	// proc.NewPool) to keep warm workers across queries. Workers re-execute
	// this program unless the pool names a command, so a program using Procs
	// without an explicit command starts main with
	//
	//	if proc.IsWorker() { os.Exit(proc.RunWorker()) }
	Pool *proc.Pool
	// Progress, when set, is told how far a query over files has got: it is
	// called with done = 0 before the first split is read, then each time a
	// split finishes, with the splits done, their total and the compressed
	// bytes read so far. Calls are serialised and must return quickly.
	// Queries over in-memory records do not report progress.
	Progress func(done, total int, bytes int64)
}

func (o Options) config() (exec.Config, error) {
	cfg := exec.Config{Workers: o.Workers, BatchSize: o.BatchSize, Mem: o.Mem, Progress: o.Progress}
	switch o.Mode {
	case Sequential:
		cfg.Workers = 1
	case Threads, "", Procs:
		if cfg.Workers <= 0 {
			cfg.Workers = runtime.NumCPU()
		}
	default:
		return cfg, fmt.Errorf("engine: unknown executor mode %q (want seq, threads or procs)", o.Mode)
	}
	if cfg.Mem == nil {
		cfg.Mem = recycle.Default
	}
	return cfg, nil
}

func (f *Frame) input() exec.Input {
	if f.plan.Source.Table != nil {
		return exec.Input{Table: f.plan.Source.Table}
	}
	return exec.Input{Dataset: f.ds}
}

// Run executes the query and returns its rows as a stream. Every record
// matches Schema() exactly (dictionary-encoded strings are decoded).
func (f *Frame) Run(ctx context.Context, o Options) (*Rows, error) {
	res, _, cfg, err := f.execute(ctx, o)
	if err != nil {
		return nil, err
	}
	return &Rows{res: res, mem: cfg.Mem}, nil
}

// execute plans the frame and runs it with o.
func (f *Frame) execute(ctx context.Context, o Options) (*exec.Result, *plan.Physical, exec.Config, error) {
	if f.err != nil {
		return nil, nil, exec.Config{}, f.err
	}
	cfg, err := o.config()
	if err != nil {
		return nil, nil, cfg, err
	}
	ph, err := f.plan.Physical(f.src)
	if err != nil {
		return nil, nil, cfg, err
	}
	res, err := run(ctx, ph, f.input(), cfg, o)
	return res, ph, cfg, err
}

// run executes a physical plan, attaching the worker-process pool for Procs.
func run(ctx context.Context, ph *plan.Physical, in exec.Input, cfg exec.Config, o Options) (*exec.Result, error) {
	if o.Mode == Procs && (in.Dataset != nil || in.Table != nil) {
		pool := o.Pool
		if pool == nil {
			var err error
			pool, err = proc.NewPool(proc.Options{Workers: cfg.Workers, Mem: cfg.Mem})
			if err != nil {
				return nil, err
			}
			defer pool.Close()
		}
		cfg.Leaf = pool
	}
	return exec.Run(ctx, ph, in, cfg)
}

// Rows is a query's result as a stream of records.
type Rows struct {
	res *exec.Result
	mem memory.Allocator
}

// Schema is the schema of every record.
func (r *Rows) Schema() *arrow.Schema { return r.res.Schema }

// Stats describes how the query ran.
func (r *Rows) Stats() *exec.Stats { return r.res.Stats }

// Next returns the next record (owned by the caller), or (nil, io.EOF).
func (r *Rows) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(r.res.Records) == 0 {
			return nil, io.EOF
		}
		rec := r.res.Records[0]
		r.res.Records = r.res.Records[1:]
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		out, err := normalize(r.res.Schema, rec, r.mem)
		rec.Release()
		return out, err
	}
}

// Close releases records not yet returned.
func (r *Rows) Close() error {
	r.res.Release()
	return nil
}

// normalize returns rec with every column of the schema's type (dictionary
// columns decoded). It takes its own reference.
func normalize(schema *arrow.Schema, rec arrow.Record, mem memory.Allocator) (arrow.Record, error) {
	if rec.Schema().Equal(schema) {
		rec.Retain()
		return rec, nil
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		u, err := column.Unpack(mem, c)
		if err != nil {
			return nil, err
		}
		cols[i] = u
	}
	return array.NewRecord(schema, cols, rec.NumRows()), nil
}

// Collect runs the query and returns all rows as one table, with the run's
// statistics. The caller releases the table.
func (f *Frame) Collect(ctx context.Context, o Options) (arrow.Table, error) {
	rows, err := f.Run(ctx, o)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var recs []arrow.Record
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for {
		rec, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return array.NewTableFromRecords(rows.Schema(), recs), nil
}

// Explain describes how the query would run: stages, what the scan reads
// (splits, columns, pushed-down predicates) and the output schema.
func (f *Frame) Explain() (string, error) {
	if f.err != nil {
		return "", f.err
	}
	ph, err := f.plan.Physical(f.src)
	if err != nil {
		return "", err
	}
	return explain(f, ph, nil), nil
}

func explain(f *Frame, ph *plan.Physical, st *exec.Stats) string {
	var b strings.Builder
	src := f.plan.Source
	if src.Table != nil {
		fmt.Fprintf(&b, "Scan memory: %d records\n", len(src.Table.Records))
	} else {
		rows := "unknown"
		if f.ds.Rows >= 0 {
			rows = fmt.Sprint(f.ds.Rows)
		}
		fmt.Fprintf(&b, "Scan %s: %d file(s), %d split(s), %s rows, %d bytes\n",
			f.ds.Format, len(f.ds.Files), len(f.ds.Splits), rows, f.ds.Bytes)
	}
	if ph.Columns == nil {
		b.WriteString("  columns: all\n")
	} else {
		fmt.Fprintf(&b, "  columns: [%s]\n", strings.Join(ph.Columns, ", "))
	}
	for _, p := range ph.Preds {
		fmt.Fprintf(&b, "  prune: %s %s %v\n", p.Column, p.Op, p.Values)
	}
	for i, s := range ph.Stages {
		fmt.Fprintf(&b, "Stage %d\n", i+1)
		for _, n := range s.Pipe {
			fmt.Fprintf(&b, "  %s\n", n)
		}
		if s.Breaker != nil {
			fmt.Fprintf(&b, "  %s\n", *s.Breaker)
		}
		if st != nil && i < len(st.Stages) {
			ss := st.Stages[i]
			fmt.Fprintf(&b, "  -> %d partitions, %d rows out, %s\n", ss.Partitions, ss.RowsOut, ss.Elapsed.Round(10000))
		}
	}
	fields := make([]string, ph.Out.NumFields())
	for i, fl := range ph.Out.Fields() {
		fields[i] = fl.Name + " " + fl.Type.String()
	}
	fmt.Fprintf(&b, "Output: %s\n", strings.Join(fields, ", "))
	if st != nil {
		fmt.Fprintf(&b, "Ran with %d worker(s) in %s: %d row groups read of %d (%d pruned), %d rows scanned, %d bytes read\n",
			st.Workers, st.Elapsed.Round(10000), st.Scan.RowGroups-st.Scan.RowGroupsPruned, st.Scan.RowGroups,
			st.Scan.RowGroupsPruned, st.Scan.Rows, st.Scan.BytesRead)
	}
	return b.String()
}

// ExplainAnalyze runs the query, discards its rows, and describes the plan
// with what each stage did.
func (f *Frame) ExplainAnalyze(ctx context.Context, o Options) (string, error) {
	res, ph, _, err := f.execute(ctx, o)
	if err != nil {
		return "", err
	}
	res.Release()
	return explain(f, ph, res.Stats), nil
}
