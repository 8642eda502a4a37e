package plan

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/expr"
)

// TestWindowKeep: a row_number window keeps the rows a later filter bounds
// its number to, through filters and projections that carry the number
// (renamed or not), with the bound on either side; nothing else sets it,
// and the plan it came from is left as it was.
func TestWindowKeep(t *testing.T) {
	window := Node{Kind: KindWindow, Window: &ops.Window{Func: "row_number", Name: "rn",
		PartitionBy: []*expr.Expr{expr.Col("g")}, OrderBy: []ops.SortKey{{Expr: expr.Col("x")}}}}
	filter := func(e *expr.Expr) Node { return Node{Kind: KindFilter, Filter: &ops.Filter{Pred: e}} }
	project := func(cols ...ops.Column) Node { return Node{Kind: KindProject, Project: &ops.Project{Columns: cols}} }
	call := func(op string, a, b *expr.Expr) *expr.Expr {
		return &expr.Expr{Kind: expr.KindCall, Name: op, Args: []*expr.Expr{a, b}, Pos: -1}
	}
	rn := expr.Col("rn")
	other := call(expr.OpGt, expr.Col("x"), expr.Int(5))
	source := arrow.NewSchema([]arrow.Field{
		{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "y", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	withRN := arrow.NewSchema(append(source.Fields(), arrow.Field{Name: "RN", Type: arrow.PrimitiveTypes.Int64}), nil)
	cases := []struct {
		name  string
		after []Node
		keep  int64
		src   *arrow.Schema
	}{
		{"rn <= 2", []Node{filter(call(expr.OpLe, rn, expr.Int(2)))}, 2, nil},
		{"rn < 3", []Node{filter(call(expr.OpLt, rn, expr.Int(3)))}, 2, nil},
		{"rn = 1", []Node{filter(call(expr.OpEq, rn, expr.Int(1)))}, 1, nil},
		{"3 >= rn", []Node{filter(call(expr.OpGe, expr.Int(3), rn))}, 3, nil},
		{"4 > RN", []Node{filter(call(expr.OpGt, expr.Int(4), expr.Col("RN")))}, 3, nil},
		{"1 = rn", []Node{filter(call(expr.OpEq, expr.Int(1), rn))}, 1, nil},
		{"tightest conjunct", []Node{filter(call(expr.OpAnd, call(expr.OpLe, rn, expr.Int(9)),
			call(expr.OpAnd, other, call(expr.OpLt, rn, expr.Int(5)))))}, 4, nil},
		{"across filters", []Node{filter(other), filter(call(expr.OpLe, rn, expr.Int(7))), filter(call(expr.OpLe, rn, expr.Int(6)))}, 6, nil},
		{"renamed", []Node{project(ops.Column{Name: "g", Expr: expr.Col("g")}, ops.Column{Name: "k", Expr: rn}),
			filter(call(expr.OpLe, expr.Col("k"), expr.Int(2)))}, 2, nil},
		{"old name taken by another column", []Node{project(ops.Column{Name: "k", Expr: rn}, ops.Column{Name: "rn", Expr: expr.Col("y")}),
			filter(call(expr.OpLe, rn, expr.Int(2)))}, 0, nil},
		{"dropped, name reused", []Node{project(ops.Column{Name: "g", Expr: expr.Col("g")}, ops.Column{Name: "rn", Expr: expr.Col("y")}),
			filter(call(expr.OpLe, expr.Col("rn"), expr.Int(2)))}, 0, nil},
		{"computed from rn", []Node{project(ops.Column{Name: "rn", Expr: call(expr.OpAdd, rn, expr.Int(1))}),
			filter(call(expr.OpLe, rn, expr.Int(2)))}, 0, nil},
		{"past a sort", []Node{{Kind: KindSort, Sort: &ops.Sort{Keys: []ops.SortKey{{Expr: rn}}, Limit: -1}},
			filter(call(expr.OpLe, rn, expr.Int(2)))}, 0, nil},
		{"lower bound", []Node{filter(call(expr.OpGe, rn, expr.Int(2)))}, 0, nil},
		{"disjunction", []Node{filter(call(expr.OpOr, call(expr.OpLe, rn, expr.Int(2)), other))}, 0, nil},
		{"not a number", []Node{filter(call(expr.OpLe, rn, expr.Float(2.5)))}, 0, nil},
		{"no rows", []Node{filter(call(expr.OpLt, rn, expr.Int(1)))}, 0, nil},
		{"other column", []Node{filter(call(expr.OpLe, expr.Col("x"), expr.Int(2)))}, 0, nil},
		{"renamed onto a name taken", []Node{project(ops.Column{Name: "k", Expr: expr.Col("y")}, ops.Column{Name: "k", Expr: rn}),
			filter(call(expr.OpLe, expr.Col("k"), expr.Int(2)))}, 0, nil},
		{"renamed onto a name taken but for case", []Node{project(ops.Column{Name: "K", Expr: expr.Col("y")}, ops.Column{Name: "k", Expr: rn}),
			filter(call(expr.OpLe, expr.Col("K"), expr.Int(2)))}, 0, nil},
		{"a source column named like the number", []Node{filter(call(expr.OpLe, rn, expr.Int(2)))}, 0, withRN},
		{"bound before a clash", []Node{filter(call(expr.OpLe, rn, expr.Int(3))),
			project(ops.Column{Name: "k", Expr: expr.Col("y")}, ops.Column{Name: "k", Expr: rn}),
			filter(call(expr.OpLe, expr.Col("k"), expr.Int(2)))}, 3, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Plan{Nodes: append([]Node{window}, c.after...)}
			src := source
			if c.src != nil {
				src = c.src
			}
			schemas, err := p.Schemas(src)
			require.NoError(t, err)
			q := p.withWindowKeep(schemas)
			require.Equal(t, c.keep, q.Nodes[0].Window.Keep)
			require.Zero(t, p.Nodes[0].Window.Keep, "the plan given is unchanged")
			if c.keep == 0 {
				require.Same(t, p, q)
			}
		})
	}
}
