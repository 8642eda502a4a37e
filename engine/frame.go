package engine

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/engine/plan"
	"github.com/dfq/dfq/io/dataset"
	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/expr"
)

// Frame is an immutable description of a query: a source and the operations
// applied to it. Build one with Scan, Read or FromRecords.
type Frame struct {
	plan   *plan.Plan
	src    *arrow.Schema // the source's schema
	schema *arrow.Schema // the frame's output schema
	ds     *dataset.Dataset
	err    error
}

// ReadOptions says how to read files.
type ReadOptions struct {
	// Format forces the input format; "" detects it from extensions or magic bytes.
	Format source.Format
	// CSV options (header, delimiter, NULL string, column types).
	CSV *source.CSVOptions
	// TargetSplitBytes is the approximate size of a partition (default 32 MiB).
	TargetSplitBytes int64
}

// Scan opens files (paths, globs with * and **, or directories) for a query.
func Scan(paths ...string) *Frame { return Read(ReadOptions{}, paths...) }

// Read opens files with explicit read options.
func Read(o ReadOptions, paths ...string) *Frame {
	dopts := dataset.Options{Format: o.Format, TargetSplitBytes: o.TargetSplitBytes}
	if o.CSV != nil {
		dopts.CSV = *o.CSV
	} else {
		dopts.CSV = source.CSVOptions{Header: true}
	}
	ds, err := dataset.Open(paths, dopts)
	if err != nil {
		return &Frame{err: err}
	}
	src := plan.Source{Paths: ds.Files, Format: ds.Format}
	if ds.Format == source.CSV && len(ds.Splits) > 0 && ds.Splits[0].CSV != nil {
		c := *ds.Splits[0].CSV
		src.CSV = &c
	}
	return &Frame{plan: &plan.Plan{Source: src}, src: ds.Schema, schema: ds.Schema, ds: ds}
}

// FromRecords makes a frame over in-memory records of one schema. The
// records must stay valid (unreleased) while the frame is used.
func FromRecords(schema *arrow.Schema, recs ...arrow.Record) *Frame {
	for i, r := range recs {
		if !r.Schema().Equal(schema) {
			return &Frame{err: fmt.Errorf("engine: record %d has schema %s, want %s", i, r.Schema(), schema)}
		}
	}
	t := &plan.Table{Schema: schema, Records: recs}
	return &Frame{plan: &plan.Plan{Source: plan.Source{Table: t}}, src: schema, schema: schema}
}

// Err returns the first error recorded while building the frame.
func (f *Frame) Err() error { return f.err }

// Schema returns the frame's output schema (nil if the frame has an error).
func (f *Frame) Schema() *arrow.Schema { return f.schema }

// Plan returns the frame's logical plan.
func (f *Frame) Plan() *plan.Plan { return f.plan }

func (f *Frame) with(n plan.Node) *Frame {
	if f.err != nil {
		return f
	}
	out, err := n.Schema(f.schema)
	if err != nil {
		return &Frame{err: err}
	}
	return &Frame{plan: f.plan.With(n), src: f.src, schema: out, ds: f.ds}
}

// Filter keeps the rows where pred is true.
func (f *Frame) Filter(pred *expr.Expr) *Frame {
	return f.with(plan.Node{Kind: plan.KindFilter, Filter: &ops.Filter{Pred: pred}})
}

// Where is Filter.
func (f *Frame) Where(pred *expr.Expr) *Frame { return f.Filter(pred) }

// Sel is an output column for Select: an expression and its name.
type Sel = ops.Column

// As names an expression for Select.
func As(e *expr.Expr, name string) Sel { return Sel{Name: name, Expr: e} }

// Select replaces the columns with the given expressions. Each argument is a
// column name (string), an *expr.Expr (named by its text, or its column name),
// or a Sel from As.
func (f *Frame) Select(cols ...any) *Frame {
	if f.err != nil {
		return f
	}
	var cs []ops.Column
	for _, c := range cols {
		switch c := c.(type) {
		case string:
			cs = append(cs, ops.Column{Name: c, Expr: expr.Col(c)})
		case *expr.Expr:
			cs = append(cs, ops.Column{Name: defaultName(c), Expr: c})
		case ops.Column:
			cs = append(cs, c)
		default:
			return &Frame{err: fmt.Errorf("engine: Select: %T is not a column name, expression or As(...)", c)}
		}
	}
	return f.with(plan.Node{Kind: plan.KindProject, Project: &ops.Project{Columns: cs}})
}

// WithColumn adds (or replaces) the column name computed by e, keeping the others.
func (f *Frame) WithColumn(name string, e *expr.Expr) *Frame {
	if f.err != nil {
		return f
	}
	var cs []ops.Column
	replaced := false
	for _, fl := range f.schema.Fields() {
		if fl.Name == name {
			cs = append(cs, ops.Column{Name: name, Expr: e})
			replaced = true
			continue
		}
		cs = append(cs, ops.Column{Name: fl.Name, Expr: expr.Col(fl.Name)})
	}
	if !replaced {
		cs = append(cs, ops.Column{Name: name, Expr: e})
	}
	return f.with(plan.Node{Kind: plan.KindProject, Project: &ops.Project{Columns: cs}})
}

func defaultName(e *expr.Expr) string {
	if e.Kind == expr.KindCol {
		return e.Name
	}
	return e.String()
}

// AggExpr is an aggregate call for Agg: build with Sum, Count, ... and name
// with As.
type AggExpr struct{ a ops.Agg }

// As names the aggregate's output column.
func (a AggExpr) As(name string) AggExpr { a.a.Name = name; return a }

func newAgg(fn string, args ...*expr.Expr) AggExpr {
	a := ops.Agg{Spec: agg.Spec{Func: fn}, Args: args}
	a.Name = a.String()
	return AggExpr{a}
}

// Aggregate constructors.
func Count() AggExpr                  { return newAgg("count_star") }
func CountOf(e *expr.Expr) AggExpr    { return newAgg("count", e) }
func Sum(e *expr.Expr) AggExpr        { return newAgg("sum", e) }
func Avg(e *expr.Expr) AggExpr        { return newAgg("avg", e) }
func Min(e *expr.Expr) AggExpr        { return newAgg("min", e) }
func Max(e *expr.Expr) AggExpr        { return newAgg("max", e) }
func VarSamp(e *expr.Expr) AggExpr    { return newAgg("var_samp", e) }
func StddevSamp(e *expr.Expr) AggExpr { return newAgg("stddev_samp", e) }
func Median(e *expr.Expr) AggExpr     { return newAgg("median", e) }
func Corr(x, y *expr.Expr) AggExpr    { return newAgg("corr", x, y) }

// CountDistinct is count(DISTINCT e).
func CountDistinct(e *expr.Expr) AggExpr {
	a := newAgg("count", e)
	a.a.Spec.Distinct = true
	a.a.Name = a.a.String()
	return a
}

// Quantile is quantile_cont(e, q): the q-quantile with linear interpolation.
func Quantile(e *expr.Expr, q float64) AggExpr {
	a := newAgg("quantile_cont", e)
	a.a.Spec.Param = q
	a.a.Name = a.a.String()
	return a
}

// AggOf builds any aggregate by its SQL name (see agg.Spec).
func AggOf(spec agg.Spec, args ...*expr.Expr) AggExpr {
	a := ops.Agg{Spec: spec, Args: args}
	a.Name = a.String()
	return AggExpr{a}
}

// Grouped is a frame with group-by keys, waiting for its aggregates.
type Grouped struct {
	f    *Frame
	keys []ops.Column
}

// GroupBy groups by the given keys: column names, expressions or As(...).
func (f *Frame) GroupBy(keys ...any) *Grouped {
	g := &Grouped{f: f}
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			g.keys = append(g.keys, ops.Column{Name: k, Expr: expr.Col(k)})
		case *expr.Expr:
			g.keys = append(g.keys, ops.Column{Name: defaultName(k), Expr: k})
		case ops.Column:
			g.keys = append(g.keys, k)
		default:
			g.f = &Frame{err: fmt.Errorf("engine: GroupBy: %T is not a column name, expression or As(...)", k)}
		}
	}
	return g
}

// Agg computes the aggregates per group: the output has the keys, then the
// aggregates.
func (g *Grouped) Agg(aggs ...AggExpr) *Frame {
	a := &ops.Aggregate{Keys: g.keys}
	for _, x := range aggs {
		a.Aggs = append(a.Aggs, x.a)
	}
	return g.f.with(plan.Node{Kind: plan.KindAggregate, Aggregate: a})
}

// Agg computes aggregates over all rows (one output row).
func (f *Frame) Agg(aggs ...AggExpr) *Frame { return f.GroupBy().Agg(aggs...) }

// Having filters groups; it is Filter, for readability after Agg.
func (f *Frame) Having(pred *expr.Expr) *Frame { return f.Filter(pred) }

// Distinct keeps one row per distinct combination of all columns.
func (f *Frame) Distinct() *Frame {
	if f.err != nil {
		return f
	}
	var keys []any
	for _, fl := range f.schema.Fields() {
		keys = append(keys, ops.Column{Name: fl.Name, Expr: expr.Col(fl.Name)})
	}
	return f.GroupBy(keys...).Agg()
}

// Order is an ORDER BY term; see Asc and Desc.
type Order = ops.SortKey

// Asc orders by e ascending, NULLs last.
func Asc(e *expr.Expr) Order { return Order{Expr: e} }

// Desc orders by e descending, NULLs last.
func Desc(e *expr.Expr) Order { return Order{Expr: e, Desc: true} }

// OrderBy sorts the rows.
func (f *Frame) OrderBy(keys ...Order) *Frame {
	return f.with(plan.Node{Kind: plan.KindSort, Sort: &ops.Sort{Keys: keys, Limit: -1}})
}

// Limit keeps the first n rows.
func (f *Frame) Limit(n int64) *Frame { return f.LimitOffset(n, 0) }

// LimitOffset skips offset rows, then keeps n. After OrderBy it becomes a
// top-k: no full sort is done.
func (f *Frame) LimitOffset(n, offset int64) *Frame {
	if f.err != nil {
		return f
	}
	if n < 0 || offset < 0 {
		return &Frame{err: fmt.Errorf("engine: LIMIT %d OFFSET %d: both must be non-negative", n, offset)}
	}
	g := f
	if k := len(f.plan.Nodes); k > 0 && f.plan.Nodes[k-1].Kind == plan.KindSort && f.plan.Nodes[k-1].Sort.Limit < 0 {
		s := *f.plan.Nodes[k-1].Sort
		s.Limit = n + offset
		p := &plan.Plan{Source: f.plan.Source, Nodes: append([]plan.Node(nil), f.plan.Nodes[:k-1]...)}
		p.Nodes = append(p.Nodes, plan.Node{Kind: plan.KindSort, Sort: &s})
		g = &Frame{plan: p, src: f.src, schema: f.schema, ds: f.ds}
	}
	return g.with(plan.Node{Kind: plan.KindLimit, Limit: &ops.Limit{N: n, Offset: offset}})
}

// Window appends row_number() OVER (PARTITION BY partition ORDER BY order) as
// column name.
func (f *Frame) RowNumber(name string, partition []*expr.Expr, order ...Order) *Frame {
	return f.with(plan.Node{Kind: plan.KindWindow, Window: &ops.Window{Func: "row_number", Name: name, PartitionBy: partition, OrderBy: order}})
}

// String renders the logical plan, one node per line.
func (f *Frame) String() string {
	if f.err != nil {
		return "error: " + f.err.Error()
	}
	var b strings.Builder
	src := f.plan.Source
	if src.Table != nil {
		fmt.Fprintf(&b, "Scan memory (%d records)\n", len(src.Table.Records))
	} else {
		fmt.Fprintf(&b, "Scan %s %s\n", src.Format, strings.Join(src.Paths, ", "))
	}
	for _, n := range f.plan.Nodes {
		b.WriteString(n.String() + "\n")
	}
	return b.String()
}
