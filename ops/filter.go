package ops

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/ops/column"
	"github.com/dfq/dfq/ops/expr"
)

// Filter keeps the rows for which Pred is true (NULL counts as false).
type Filter struct {
	Pred *expr.Expr `json:"pred"`
}

// Open binds the predicate to in's schema and returns the filtered stream,
// which takes ownership of in.
func (f Filter) Open(in Stream, mem memory.Allocator) (Stream, error) {
	b, err := CheckPredicate(f.Pred, in.Schema())
	if err != nil {
		in.Close()
		return nil, err
	}
	return &filterStream{in: in, pred: b, mem: mem}, nil
}

type filterStream struct {
	in   Stream
	pred expr.Bound
	mem  memory.Allocator
	sel  []int32
}

func (s *filterStream) Schema() *arrow.Schema { return s.in.Schema() }
func (s *filterStream) Close() error          { return s.in.Close() }

func (s *filterStream) Next(ctx context.Context) (arrow.Record, error) {
	for {
		rec, err := s.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		out, err := s.apply(rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
}

// apply returns the filtered record, or nil when no row passes.
func (s *filterStream) apply(rec arrow.Record) (arrow.Record, error) {
	if rec.NumRows() == 0 {
		return nil, nil
	}
	mask, err := s.pred.Eval(rec, s.mem)
	if err != nil {
		return nil, err
	}
	s.sel = column.Selection(mask, s.sel)
	mask.Release()
	switch len(s.sel) {
	case 0:
		return nil, nil
	case int(rec.NumRows()):
		rec.Retain()
		return rec, nil
	}
	return column.TakeRecord(s.mem, rec, s.sel)
}

// CheckPredicate binds pred to schema and checks that it is boolean.
func CheckPredicate(pred *expr.Expr, schema *arrow.Schema) (expr.Bound, error) {
	b, err := expr.Bind(pred, schema)
	if err != nil {
		return nil, err
	}
	if !arrow.TypeEqual(b.Type(), arrow.FixedWidthTypes.Boolean) && b.Type().ID() != arrow.NULL {
		return nil, &expr.Error{Pos: pred.Pos, Msg: "condition " + pred.String() + " is " + b.Type().String() + ", not boolean"}
	}
	return b, nil
}
