package plan

import (
	"testing"

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
	cases := []struct {
		name  string
		after []Node
		keep  int64
	}{
		{"rn <= 2", []Node{filter(call(expr.OpLe, rn, expr.Int(2)))}, 2},
		{"rn < 3", []Node{filter(call(expr.OpLt, rn, expr.Int(3)))}, 2},
		{"rn = 1", []Node{filter(call(expr.OpEq, rn, expr.Int(1)))}, 1},
		{"3 >= rn", []Node{filter(call(expr.OpGe, expr.Int(3), rn))}, 3},
		{"4 > RN", []Node{filter(call(expr.OpGt, expr.Int(4), expr.Col("RN")))}, 3},
		{"1 = rn", []Node{filter(call(expr.OpEq, expr.Int(1), rn))}, 1},
		{"tightest conjunct", []Node{filter(call(expr.OpAnd, call(expr.OpLe, rn, expr.Int(9)),
			call(expr.OpAnd, other, call(expr.OpLt, rn, expr.Int(5)))))}, 4},
		{"across filters", []Node{filter(other), filter(call(expr.OpLe, rn, expr.Int(7))), filter(call(expr.OpLe, rn, expr.Int(6)))}, 6},
		{"renamed", []Node{project(ops.Column{Name: "g", Expr: expr.Col("g")}, ops.Column{Name: "k", Expr: rn}),
			filter(call(expr.OpLe, expr.Col("k"), expr.Int(2)))}, 2},
		{"old name after rename", []Node{project(ops.Column{Name: "k", Expr: rn}),
			filter(call(expr.OpLe, rn, expr.Int(2)))}, 0},
		{"dropped", []Node{project(ops.Column{Name: "g", Expr: expr.Col("g")}),
			filter(call(expr.OpLe, expr.Col("rn"), expr.Int(2)))}, 0},
		{"computed from rn", []Node{project(ops.Column{Name: "rn", Expr: call(expr.OpAdd, rn, expr.Int(1))}),
			filter(call(expr.OpLe, rn, expr.Int(2)))}, 0},
		{"past a sort", []Node{{Kind: KindSort, Sort: &ops.Sort{Keys: []ops.SortKey{{Expr: rn}}, Limit: -1}},
			filter(call(expr.OpLe, rn, expr.Int(2)))}, 0},
		{"lower bound", []Node{filter(call(expr.OpGe, rn, expr.Int(2)))}, 0},
		{"disjunction", []Node{filter(call(expr.OpOr, call(expr.OpLe, rn, expr.Int(2)), other))}, 0},
		{"not a number", []Node{filter(call(expr.OpLe, rn, expr.Float(2.5)))}, 0},
		{"no rows", []Node{filter(call(expr.OpLt, rn, expr.Int(1)))}, 0},
		{"other column", []Node{filter(call(expr.OpLe, expr.Col("x"), expr.Int(2)))}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Plan{Nodes: append([]Node{window}, c.after...)}
			q := p.withWindowKeep()
			require.Equal(t, c.keep, q.Nodes[0].Window.Keep)
			require.Zero(t, p.Nodes[0].Window.Keep, "the plan given is unchanged")
			if c.keep == 0 {
				require.Same(t, p, q)
			}
		})
	}
}
