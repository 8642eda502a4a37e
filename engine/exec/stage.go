package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine/plan"
	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops"
)

// Buckets is a breaker's phase-one output: per bucket, the records routed to it.
type Buckets [][]arrow.Record

func (b Buckets) release() {
	for _, rs := range b {
		for _, r := range rs {
			if r != nil {
				r.Release()
			}
		}
	}
}

// sink is a breaker's phase one.
type sink interface {
	consume(ctx context.Context, rec arrow.Record) error
	finish(ctx context.Context) (Buckets, error)
	release()
}

// perWorker says whether a breaker keeps one sink per worker (its phase one
// is order-insensitive) rather than one per partition.
func perWorker(b *plan.Node) bool {
	return b != nil && (b.Kind == plan.KindAggregate || b.Kind == plan.KindSort || b.Kind == plan.KindWindow)
}

func newSink(b *plan.Node, in *arrow.Schema, buckets int, mem memory.Allocator) (sink, error) {
	if b == nil {
		return &collectSink{limit: -1}, nil
	}
	switch b.Kind {
	case plan.KindAggregate:
		p, err := b.Aggregate.NewPartial(in, buckets, mem)
		if err != nil {
			return nil, err
		}
		return aggSink{p}, nil
	case plan.KindSort:
		s, err := b.Sort.NewSorter(in, mem)
		if err != nil {
			return nil, err
		}
		return sortSink{s}, nil
	case plan.KindLimit:
		return &collectSink{limit: b.Limit.N + b.Limit.Offset, unlimited: b.Limit.N < 0}, nil
	case plan.KindWindow:
		r, err := b.Window.NewRepartitioner(in, buckets, mem)
		if err != nil {
			return nil, err
		}
		return windowSink{r}, nil
	}
	return nil, fmt.Errorf("exec: %s is not a pipeline breaker", b.Kind)
}

type aggSink struct{ p *ops.Partial }

func (s aggSink) consume(ctx context.Context, rec arrow.Record) error { return s.p.Consume(ctx, rec) }
func (s aggSink) release()                                            { s.p.Release() }
func (s aggSink) finish(context.Context) (Buckets, error) {
	recs, err := s.p.Finish()
	return Buckets(recs), err
}

type sortSink struct{ s *ops.Sorter }

func (s sortSink) consume(ctx context.Context, rec arrow.Record) error { return s.s.Consume(ctx, rec) }
func (s sortSink) release()                                            { s.s.Release() }
func (s sortSink) finish(ctx context.Context) (Buckets, error) {
	run, err := s.s.Finish(ctx)
	if err != nil || run == nil {
		return Buckets{nil}, err
	}
	return Buckets{{run}}, nil
}

type windowSink struct{ r *ops.Repartitioner }

func (s windowSink) consume(ctx context.Context, rec arrow.Record) error {
	return s.r.Consume(ctx, rec)
}
func (s windowSink) release()                                { s.r.Release() }
func (s windowSink) finish(context.Context) (Buckets, error) { return s.r.Finish(), nil }

// collectSink keeps a partition's records, up to limit rows when limited.
type collectSink struct {
	recs      []arrow.Record
	rows      int64
	limit     int64
	unlimited bool
}

func (s *collectSink) full() bool { return !s.unlimited && s.limit >= 0 && s.rows >= s.limit }

func (s *collectSink) consume(_ context.Context, rec arrow.Record) error {
	if s.full() || rec.NumRows() == 0 {
		return nil
	}
	n := rec.NumRows()
	if !s.unlimited && s.limit >= 0 && s.rows+n > s.limit {
		rec = rec.NewSlice(0, s.limit-s.rows)
	} else {
		rec.Retain()
	}
	s.recs = append(s.recs, rec)
	s.rows += rec.NumRows()
	return nil
}

func (s *collectSink) finish(context.Context) (Buckets, error) {
	out := Buckets{s.recs}
	s.recs = nil
	return out, nil
}

func (s *collectSink) release() {
	for _, r := range s.recs {
		r.Release()
	}
	s.recs = nil
}

// openPipe applies streaming nodes to a stream.
func openPipe(in ops.Stream, pipe []plan.Node, mem memory.Allocator) (ops.Stream, error) {
	s := in
	var err error
	for _, n := range pipe {
		switch n.Kind {
		case plan.KindFilter:
			s, err = n.Filter.Open(s, mem)
		case plan.KindProject:
			s, err = n.Project.Open(s, mem)
		default:
			s.Close()
			return nil, fmt.Errorf("exec: %s cannot stream", n.Kind)
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// drain runs one partition through the pipe into sk.
func drain(ctx context.Context, p partition, pipe []plan.Node, sk sink, mem memory.Allocator, stats *Stats) error {
	in, err := p.open(ctx, mem, stats)
	if err != nil {
		return err
	}
	s, err := openPipe(in, pipe, mem)
	if err != nil {
		return err
	}
	return pump(ctx, s, sk)
}

// pump feeds s's records to sk until s ends (or a limited collector is
// full), then closes s.
func pump(ctx context.Context, s ops.Stream, sk sink) (err error) {
	defer func() {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}()
	for {
		if c, ok := sk.(*collectSink); ok && c.full() {
			return nil
		}
		rec, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		err = sk.consume(ctx, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
}

// runStage runs a stage's phase one over parts, then its merge.
func runStage(ctx context.Context, st *plan.Stage, parts []partition, cfg Config, stats *Stats) ([]memPart, error) {
	shared := perWorker(st.Breaker)
	nsinks := len(parts)
	if shared {
		nsinks = min(cfg.Workers, max(len(parts), 1))
	}
	sinks := make([]sink, nsinks)
	defer func() {
		for _, s := range sinks {
			if s != nil {
				s.release()
			}
		}
	}()
	for i := range sinks {
		s, err := newSink(st.Breaker, st.BreakerIn, cfg.Buckets, cfg.Mem)
		if err != nil {
			return nil, err
		}
		sinks[i] = s
	}
	outs := make([]Buckets, len(sinks))
	defer func() {
		for _, o := range outs {
			o.release()
		}
	}()
	finish := func(ctx context.Context, i int) error {
		b, err := sinks[i].finish(ctx)
		outs[i] = b
		return err
	}
	// A sink builds its output (group keys, states, buckets) as soon as
	// nothing more comes to it: a partition's sink after its partition, a
	// worker's shared sink once the queue is empty, while other workers may
	// still be scanning.
	err := forEachThen(ctx, cfg.Workers, len(parts), func(ctx context.Context, w, i int) error {
		if !shared {
			if err := drain(ctx, parts[i], st.Pipe, sinks[i], cfg.Mem, stats); err != nil {
				return err
			}
			return finish(ctx, i)
		}
		return drain(ctx, parts[i], st.Pipe, sinks[w], cfg.Mem, stats)
	}, func(ctx context.Context, w int) error {
		if shared {
			return finish(ctx, w)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// With partitions every sink was finished above (there are as many
	// shared sinks as workers that ran); without, the one shared sink
	// still gives its output.
	if len(parts) == 0 {
		for i := range sinks {
			if err := finish(ctx, i); err != nil {
				return nil, err
			}
		}
	}
	return merge(ctx, st, outs, cfg, stats)
}

// RunSplit runs a fragment's phase one over one split in this process: what a
// worker process does for each task. The caller releases the buckets.
func RunSplit(ctx context.Context, f *Fragment, split source.Split, mem memory.Allocator) (Buckets, source.ScanStats, error) {
	a := NewAccumulator(f, mem)
	defer a.Release()
	st, err := a.Add(ctx, split)
	if err != nil {
		return nil, st, err
	}
	b, err := a.Finish(ctx)
	return b, st, err
}

// Accumulates says whether a fragment's phase one may run several splits into
// one Accumulator and yield one output for all of them: its breaker is
// insensitive to split order (aggregate, sort, window), as the goroutine
// executor's per-worker sinks are.
func Accumulates(f *Fragment) bool { return perWorker(f.Breaker) }

// Accumulator runs a fragment's phase one over splits added one at a time
// into one sink, then yields the sink's output once: what a worker process
// keeps between the tasks of one query. Adding several splits is only
// meaningful when Accumulates(f); otherwise their rows are concatenated in
// the order added.
type Accumulator struct {
	f   *Fragment
	mem memory.Allocator
	sk  sink
}

// NewAccumulator returns an empty accumulator for f.
func NewAccumulator(f *Fragment, mem memory.Allocator) *Accumulator {
	return &Accumulator{f: f, mem: mem}
}

// Add reads split and runs the fragment's pipe into the sink. After an error
// the accumulator's content is undefined: release it.
func (a *Accumulator) Add(ctx context.Context, split source.Split) (source.ScanStats, error) {
	stats := &Stats{}
	stream, err := splitPart{split: split, read: a.f.Read}.open(ctx, a.mem, stats)
	if err != nil {
		return stats.Scan, err
	}
	s, err := openPipe(stream, a.f.Pipe, a.mem)
	if err != nil {
		return stats.Scan, err
	}
	if a.sk == nil {
		// The breaker's input schema is the schema after the pipe.
		sk, err := newSink(a.f.Breaker, s.Schema(), a.f.Buckets, a.mem)
		if err != nil {
			s.Close()
			return stats.Scan, err
		}
		a.sk = sk
	}
	err = pump(ctx, s, a.sk)
	return stats.Scan, err
}

// Finish returns the sink's output, which the caller releases, and empties
// the accumulator. Without any split added it returns no buckets.
func (a *Accumulator) Finish(ctx context.Context) (Buckets, error) {
	if a.sk == nil {
		return nil, nil
	}
	b, err := a.sk.finish(ctx)
	a.Release()
	return b, err
}

// Release frees what the accumulator holds.
func (a *Accumulator) Release() {
	if a.sk != nil {
		a.sk.release()
		a.sk = nil
	}
}

// merge runs a breaker's phase two over phase-one outputs (one Buckets per
// sink, in partition order for order-sensitive breakers) and returns the next
// stage's partitions. It takes ownership of nothing: callers release outs.
func merge(ctx context.Context, st *plan.Stage, outs []Buckets, cfg Config, stats *Stats) ([]memPart, error) {
	b := st.Breaker
	gather := func(bucket int) []arrow.Record {
		var recs []arrow.Record
		for _, o := range outs {
			if bucket < len(o) {
				recs = append(recs, o[bucket]...)
			}
		}
		return recs
	}
	retainAll := func(recs []arrow.Record) []arrow.Record {
		var out []arrow.Record
		for _, r := range recs {
			if r != nil && r.NumRows() > 0 {
				r.Retain()
				out = append(out, r)
			}
		}
		return out
	}
	if b == nil {
		parts := make([]memPart, 0, len(outs))
		for _, o := range outs {
			parts = append(parts, memPart{schema: st.Out, recs: retainAll(gather0(o))})
		}
		return parts, nil
	}
	switch b.Kind {
	case plan.KindLimit:
		recs := gather(0)
		var kept []arrow.Record
		skip, left := b.Limit.Offset, b.Limit.N
		for _, r := range recs {
			if r == nil {
				continue
			}
			if left == 0 {
				break
			}
			n := r.NumRows()
			if skip >= n {
				skip -= n
				continue
			}
			hi := n
			if left >= 0 && hi-skip > left {
				hi = skip + left
			}
			kept = append(kept, r.NewSlice(skip, hi))
			if left > 0 {
				left -= hi - skip
			}
			skip = 0
		}
		return []memPart{{schema: st.Out, recs: kept}}, nil
	case plan.KindSort:
		rec, err := b.Sort.MergeRuns(ctx, st.BreakerIn, gather(0), cfg.Mem)
		if err != nil || rec == nil {
			return []memPart{{schema: st.Out}}, err
		}
		return []memPart{{schema: st.Out, recs: []arrow.Record{rec}}}, nil
	case plan.KindAggregate, plan.KindWindow:
		nb := 0
		for _, o := range outs {
			nb = max(nb, len(o))
		}
		if b.Kind == plan.KindAggregate && len(b.Aggregate.Keys) == 0 {
			nb = 1
		}
		parts := make([]memPart, nb)
		err := forEach(ctx, cfg.Workers, nb, func(ctx context.Context, _, i int) error {
			var rec arrow.Record
			var err error
			if b.Kind == plan.KindAggregate {
				rec, err = b.Aggregate.Final(ctx, st.BreakerIn, gather(i), cfg.Mem)
			} else {
				rec, err = b.Window.Compute(ctx, st.BreakerIn, gather(i), cfg.Mem)
			}
			if err != nil {
				return err
			}
			parts[i] = memPart{schema: st.Out}
			if rec != nil {
				parts[i].recs = []arrow.Record{rec}
			}
			return nil
		})
		if err != nil {
			releaseParts(parts)
			return nil, err
		}
		return parts, nil
	}
	return nil, fmt.Errorf("exec: %s is not a pipeline breaker", b.Kind)
}

func gather0(o Buckets) []arrow.Record {
	if len(o) == 0 {
		return nil
	}
	return o[0]
}
