package ops

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/ops/expr"
)

// Column is an output column: an expression and the name it is given.
type Column struct {
	Name string     `json:"name"`
	Expr *expr.Expr `json:"expr"`
}

// Project computes one output column per entry of Columns.
type Project struct {
	Columns []Column `json:"columns"`
}

// Schema returns the output schema for an input schema.
func (p Project) Schema(in *arrow.Schema) (*arrow.Schema, error) {
	_, s, err := p.bind(in)
	return s, err
}

func (p Project) bind(in *arrow.Schema) ([]expr.Bound, *arrow.Schema, error) {
	bs := make([]expr.Bound, len(p.Columns))
	fields := make([]arrow.Field, len(p.Columns))
	for i, c := range p.Columns {
		b, err := expr.Bind(c.Expr, in)
		if err != nil {
			return nil, nil, err
		}
		bs[i] = b
		fields[i] = arrow.Field{Name: c.Name, Type: b.Type(), Nullable: true}
	}
	return bs, arrow.NewSchema(fields, nil), nil
}

// Open binds the expressions to in's schema and returns the projected stream,
// which takes ownership of in.
func (p Project) Open(in Stream, mem memory.Allocator) (Stream, error) {
	bs, schema, err := p.bind(in.Schema())
	if err != nil {
		in.Close()
		return nil, err
	}
	return &projectStream{in: in, exprs: bs, schema: schema, mem: mem}, nil
}

type projectStream struct {
	in     Stream
	exprs  []expr.Bound
	schema *arrow.Schema
	mem    memory.Allocator
}

func (s *projectStream) Schema() *arrow.Schema { return s.schema }
func (s *projectStream) Close() error          { return s.in.Close() }

func (s *projectStream) Next(ctx context.Context) (arrow.Record, error) {
	rec, err := s.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	return evalRecord(s.schema, s.exprs, rec, s.mem)
}

// evalRecord evaluates exprs over rec into a record of the logical schema
// (with physical dictionary types where the results are dictionaries).
func evalRecord(schema *arrow.Schema, exprs []expr.Bound, rec arrow.Record, mem memory.Allocator) (arrow.Record, error) {
	cols := make([]arrow.Array, 0, len(exprs))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, e := range exprs {
		a, err := e.Eval(rec, mem)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
	}
	return array.NewRecord(physicalSchema(schema, cols), cols, rec.NumRows()), nil
}

// physicalSchema returns schema with each field's type replaced by its
// column's actual type where they differ (dictionary-encoded strings).
func physicalSchema(schema *arrow.Schema, cols []arrow.Array) *arrow.Schema {
	same := true
	for i, c := range cols {
		if !arrow.TypeEqual(c.DataType(), schema.Field(i).Type) {
			same = false
			break
		}
	}
	if same {
		return schema
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = schema.Field(i)
		fields[i].Type = c.DataType()
	}
	return arrow.NewSchema(fields, nil)
}
