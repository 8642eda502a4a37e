package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/dfq/dfq/engine/plan"
	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/io/dataset"
	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops"
)

// Config says how to run a plan.
type Config struct {
	// Workers is the number of goroutines (or processes) that run partitions
	// and merge buckets; 1 runs everything on the calling goroutine.
	Workers int
	// BatchSize is the number of rows per record read (0: default).
	BatchSize int
	// Mem allocates all Arrow memory; nil uses recycle.Default.
	Mem memory.Allocator
	// Leaf, when set, runs the first stage over file splits (the process
	// executor); nil runs it in this process.
	Leaf LeafRunner
	// Buckets is the number of hash buckets partial results are split into
	// for the merge phase; 0 picks 4 per worker, or 1 for one worker in this
	// process.
	Buckets int
	// Progress, when set and the input is a dataset, is called once with
	// done = 0 before the first split is read and then each time a split of
	// the first stage finishes (in this process or in a worker), with the
	// number of splits done, their total and the compressed bytes read so
	// far. Calls are serialised and must return quickly.
	Progress func(done, total int, bytes int64)
}

// Input is a plan's source, resolved: either a dataset of file splits or
// in-memory records.
type Input struct {
	Dataset *dataset.Dataset
	Table   *plan.Table
	// Rows per in-memory partition (0: 64Ki).
	TableRows int
}

// Fragment is the first stage of a plan as shipped to a worker: what to read
// from each split and what to run over it. It is JSON-serialisable.
type Fragment struct {
	Read    ReadSpec    `json:"read"`
	Pipe    []plan.Node `json:"pipe,omitempty"`
	Breaker *plan.Node  `json:"breaker,omitempty"`
	Buckets int         `json:"buckets"`
}

// ReadSpec is what a fragment reads from its split.
type ReadSpec struct {
	Columns   []string      `json:"columns"`
	Preds     []source.Pred `json:"preds,omitempty"`
	BatchSize int           `json:"batch_size,omitempty"`
}

// LeafRunner runs a fragment over splits elsewhere (in worker processes) and
// returns the fragment's phase-one outputs: when Accumulates(f), any number
// of outputs, in any order, each the output of an Accumulator over some of
// the splits (every split in exactly one); otherwise, per split and in split
// order, the output RunSplit computes: for a breaker, its bucketed results;
// without one, the split's rows in bucket 0. Result records are allocated
// from mem (nil: the runner's default). The caller releases the records.
type LeafRunner interface {
	RunLeaf(ctx context.Context, f *Fragment, splits []source.Split, stats *Stats, mem memory.Allocator) ([]Buckets, error)
}

// TableSharer is a LeafRunner that can also run fragments over in-memory
// records: ShareTable makes parts (the table's partitions, of schema schema)
// readable by its workers, returns one split per part and a function that
// frees what sharing took once the query is over. An error wrapping
// ErrNotShareable means the records cannot be shared (Run then runs the
// stage in this process); any other error fails the query.
type TableSharer interface {
	ShareTable(ctx context.Context, schema *arrow.Schema, parts []arrow.Record) ([]source.Split, func(), error)
}

// ErrNotShareable says a TableSharer cannot share some records.
var ErrNotShareable = errors.New("cannot be shared with workers")

// Stats describes a run.
type Stats struct {
	mu      sync.Mutex
	Scan    source.ScanStats `json:"scan"`
	Splits  int              `json:"splits"`
	Workers int              `json:"workers"`
	Stages  []StageStats     `json:"stages"`
	Elapsed time.Duration    `json:"elapsed"`

	progress    func(done, total int, bytes int64) // Config.Progress
	done, total int                                // splits finished, splits
}

// StageStats describes one stage.
type StageStats struct {
	Name       string        `json:"name"`
	Partitions int           `json:"partitions"`
	RowsOut    int64         `json:"rows_out"` // rows leaving the stage
	Elapsed    time.Duration `json:"elapsed"`
}

// AddScan adds the scan statistics of one finished split and reports
// progress; safe for concurrent use.
func (s *Stats) AddScan(o source.ScanStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Scan.Add(o)
	if s.progress != nil {
		s.done++
		s.progress(s.done, s.total, s.Scan.BytesRead)
	}
}

// Result is a finished run: the rows, in order, and statistics. The caller
// releases the records (Release).
type Result struct {
	Schema  *arrow.Schema
	Records []arrow.Record
	Stats   *Stats
}

// Release frees the result's records.
func (r *Result) Release() {
	for _, rec := range r.Records {
		rec.Release()
	}
	r.Records = nil
}

// Rows returns the number of rows in the result.
func (r *Result) Rows() int64 {
	var n int64
	for _, rec := range r.Records {
		n += rec.NumRows()
	}
	return n
}

// partition is one unit of input of a stage.
type partition interface {
	open(ctx context.Context, mem memory.Allocator, stats *Stats) (ops.Stream, error)
}

type splitPart struct {
	split source.Split
	read  ReadSpec
	batch int
}

func (p splitPart) open(ctx context.Context, mem memory.Allocator, stats *Stats) (ops.Stream, error) {
	st := &source.ScanStats{}
	r, err := dataset.OpenSplit(ctx, p.split, source.ReadOptions{
		Columns: p.read.Columns, BatchSize: p.read.BatchSize, Preds: p.read.Preds, Mem: mem, Stats: st,
	})
	if err != nil {
		return nil, err
	}
	return &statsStream{Stream: r, st: st, stats: stats}, nil
}

// statsStream reports a reader's scan statistics when it is closed.
type statsStream struct {
	ops.Stream
	st    *source.ScanStats
	stats *Stats
	done  bool
}

func (s *statsStream) Close() error {
	err := s.Stream.Close()
	if !s.done {
		s.done = true
		s.stats.AddScan(*s.st)
	}
	return err
}

// memPart is an in-memory partition: records of one schema.
type memPart struct {
	schema *arrow.Schema
	recs   []arrow.Record
}

func (p memPart) open(context.Context, memory.Allocator, *Stats) (ops.Stream, error) {
	recs := make([]arrow.Record, len(p.recs))
	for i, r := range p.recs {
		r.Retain()
		recs[i] = r
	}
	return &recordStream{schema: p.schema, recs: recs}, nil
}

// recordStream streams records it owns.
type recordStream struct {
	schema *arrow.Schema
	recs   []arrow.Record
}

func (s *recordStream) Schema() *arrow.Schema { return s.schema }
func (s *recordStream) Next(ctx context.Context) (arrow.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(s.recs) == 0 {
		return nil, io.EOF
	}
	r := s.recs[0]
	s.recs[0] = nil
	s.recs = s.recs[1:]
	return r, nil
}
func (s *recordStream) Close() error {
	for _, r := range s.recs {
		r.Release()
	}
	s.recs = nil
	return nil
}

// Run executes ph over in and returns the whole result.
func Run(ctx context.Context, ph *plan.Physical, in Input, cfg Config) (res *Result, err error) {
	start := time.Now()
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if cfg.Mem == nil {
		cfg.Mem = recycle.Default
	}
	if cfg.Buckets < 1 {
		cfg.Buckets = 1
		if cfg.Workers > 1 || cfg.Leaf != nil {
			// Worker processes split their output into buckets even when
			// there is one: a partial aggregate with more than one bucket
			// passes nearly unique keys through as rows instead of grouping
			// them and shipping millions of partial states.
			cfg.Buckets = 4 * max(cfg.Workers, 1)
		}
	}
	stats := &Stats{Workers: cfg.Workers}
	read := ReadSpec{Columns: ph.Columns, Preds: ph.Preds, BatchSize: cfg.BatchSize}
	var parts []partition
	var leafSplits []source.Split // splits for cfg.Leaf
	switch {
	case in.Dataset != nil:
		leafSplits = in.Dataset.Splits
		for _, s := range in.Dataset.Splits {
			parts = append(parts, splitPart{split: s, read: read})
		}
		stats.Splits = len(parts)
		if cfg.Progress != nil {
			stats.progress, stats.total = cfg.Progress, len(parts)
			cfg.Progress(0, len(parts), 0)
		}
	case in.Table != nil:
		tp, err := tableParts(in.Table, ph, in.TableRows, cfg.Mem)
		if err != nil {
			return nil, err
		}
		defer releaseParts(tp)
		for _, p := range tp {
			parts = append(parts, p)
		}
		stats.Splits = len(parts)
		if sh, ok := cfg.Leaf.(TableSharer); ok && len(tp) > 0 && len(ph.Stages) > 0 {
			recs := make([]arrow.Record, len(tp))
			for i, p := range tp {
				recs[i] = p.recs[0]
			}
			splits, done, err := sh.ShareTable(ctx, ph.ScanSchema, recs)
			switch {
			case err == nil:
				// The files hold exactly the scanned columns, which
				// read.Columns names (nil: all of them).
				defer done()
				leafSplits = splits
			case !errors.Is(err, ErrNotShareable):
				return nil, err
			}
		}
	default:
		return nil, errors.New("exec: no input")
	}
	var cur []memPart // outputs of the previous stage
	defer func() { releaseParts(cur) }()
	for i := range ph.Stages {
		st := &ph.Stages[i]
		t0 := time.Now()
		var next []memPart
		if i == 0 && cfg.Leaf != nil && leafSplits != nil {
			f := &Fragment{Read: read, Pipe: st.Pipe, Breaker: st.Breaker, Buckets: cfg.Buckets}
			outs, err := cfg.Leaf.RunLeaf(ctx, f, leafSplits, stats, cfg.Mem)
			if err != nil {
				return nil, err
			}
			next, err = merge(ctx, st, outs, cfg, stats)
			for _, o := range outs {
				o.release()
			}
			if err != nil {
				return nil, err
			}
		} else {
			if i > 0 {
				parts = parts[:0]
				for _, p := range cur {
					parts = append(parts, p)
				}
			}
			var err error
			next, err = runStage(ctx, st, parts, cfg, stats)
			if err != nil {
				return nil, err
			}
		}
		releaseParts(cur)
		cur = next
		var rows int64
		for _, p := range cur {
			for _, r := range p.recs {
				rows += r.NumRows()
			}
		}
		stats.Stages = append(stats.Stages, StageStats{
			Name: stageName(st), Partitions: len(parts), RowsOut: rows, Elapsed: time.Since(t0)})
	}
	res = &Result{Schema: ph.Out, Stats: stats}
	for _, p := range cur {
		res.Records = append(res.Records, p.recs...)
	}
	cur = nil
	stats.Elapsed = time.Since(start)
	return res, nil
}

func stageName(st *plan.Stage) string {
	name := ""
	for _, n := range st.Pipe {
		name += string(n.Kind) + " -> "
	}
	if st.Breaker != nil {
		return name + string(st.Breaker.Kind)
	}
	return name + "collect"
}

func releaseParts(ps []memPart) {
	for _, p := range ps {
		for _, r := range p.recs {
			r.Release()
		}
	}
}

// tableParts cuts in-memory records into partitions of about rows rows,
// keeping only the columns the plan reads.
func tableParts(t *plan.Table, ph *plan.Physical, rows int, mem memory.Allocator) ([]memPart, error) {
	if rows <= 0 {
		rows = 1 << 16
	}
	idx := make([]int, 0, ph.ScanSchema.NumFields())
	for _, f := range ph.ScanSchema.Fields() {
		is := t.Schema.FieldIndices(f.Name)
		if len(is) == 0 {
			return nil, fmt.Errorf("exec: column %q missing from the in-memory table", f.Name)
		}
		idx = append(idx, is[0])
	}
	var out []memPart
	for _, r := range t.Records {
		for lo := int64(0); lo < r.NumRows(); lo += int64(rows) {
			hi := min(lo+int64(rows), r.NumRows())
			cols := make([]arrow.Array, len(idx))
			for i, c := range idx {
				cols[i] = r.Column(c)
			}
			proj := array.NewRecord(ph.ScanSchema, cols, r.NumRows())
			part := proj.NewSlice(lo, hi)
			proj.Release()
			out = append(out, memPart{schema: ph.ScanSchema, recs: []arrow.Record{part}})
		}
	}
	return out, nil
}

// forEach runs fn(worker, i) for i in [0, n) on up to workers goroutines (the
// calling goroutine when workers == 1); the first error cancels the rest. A
// panic in fn becomes an error; when the panic value is an error (such as an
// allocator refusing memory) it is wrapped, so errors.As finds it.
func forEach(ctx context.Context, workers, n int, fn func(ctx context.Context, worker, i int) error) error {
	return forEachThen(ctx, workers, n, fn, nil)
}

// forEachThen is forEach with an epilogue: each worker that ran calls
// then(worker) once the queue holds nothing more for it, while the others
// may still be running fn. Workers are numbered from 0 up to
// min(workers, n) (0 alone when workers <= 1 or n <= 1); no worker runs
// when n is 0. then is not called after an error.
func forEachThen(ctx context.Context, workers, n int, fn func(ctx context.Context, worker, i int) error, then func(ctx context.Context, worker int) error) error {
	epilogue := func(ctx context.Context, w int) error {
		if then == nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return protect(ctx, w, -1, func(ctx context.Context, w, _ int) error { return then(ctx, w) })
	}
	if workers <= 1 || n <= 1 {
		for i := 0; i < n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := protect(ctx, 0, i, fn); err != nil {
				return err
			}
		}
		if n == 0 {
			return nil
		}
		return epilogue(ctx, 0)
	}
	g, gctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for w := 0; w < min(workers, n); w++ {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return epilogue(gctx, w)
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := protect(gctx, w, i, fn); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// protect calls fn, turning a panic into an error.
func protect(ctx context.Context, w, i int, fn func(ctx context.Context, worker, i int) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("exec: internal error in worker %d: %w\n%s", w, e, debug.Stack())
			} else {
				err = fmt.Errorf("exec: internal error in worker %d: %v\n%s", w, r, debug.Stack())
			}
		}
	}()
	return fn(ctx, w, i)
}
