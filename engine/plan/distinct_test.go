package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/expr"
)

// TestDistinctSplit: an aggregate of count, sum and avg over the DISTINCT
// values of one argument becomes a group-by on the keys and the argument
// followed by the plain functions, with the same output schema; any other
// aggregate stays as it is, and the plan given is unchanged.
func TestDistinctSplit(t *testing.T) {
	src := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	distinct := func(name, fn string, arg *expr.Expr) ops.Agg {
		return ops.Agg{Name: name, Spec: agg.Spec{Func: fn, Distinct: true}, Args: []*expr.Expr{arg}}
	}
	plain := func(name, fn string, arg *expr.Expr) ops.Agg {
		return ops.Agg{Name: name, Spec: agg.Spec{Func: fn}, Args: []*expr.Expr{arg}}
	}
	key := func(name string, e *expr.Expr) ops.Column { return ops.Column{Name: name, Expr: e} }
	v := expr.Col("v")
	cases := []struct {
		name  string
		a     ops.Aggregate
		split bool
	}{
		{"count", ops.Aggregate{Keys: []ops.Column{key("k", expr.Col("k"))}, Aggs: []ops.Agg{distinct("c", "count", v)}}, true},
		{"count sum avg", ops.Aggregate{Keys: []ops.Column{key("k", expr.Col("k"))},
			Aggs: []ops.Agg{distinct("c", "count", v), distinct("s", "sum", expr.Col("v")), distinct("a", "avg", v)}}, true},
		{"global", ops.Aggregate{Aggs: []ops.Agg{distinct("c", "count", expr.Col("w"))}}, true},
		{"key named like the hidden column", ops.Aggregate{Keys: []ops.Column{key("Distinct Value", expr.Col("k"))},
			Aggs: []ops.Agg{distinct("c", "count", v)}}, true},
		{"two arguments", ops.Aggregate{Aggs: []ops.Agg{distinct("c", "count", v), distinct("d", "count", expr.Col("w"))}}, false},
		{"mixed with plain", ops.Aggregate{Aggs: []ops.Agg{distinct("c", "count", v), plain("s", "sum", v)}}, false},
		{"other function", ops.Aggregate{Aggs: []ops.Agg{distinct("m", "max", v)}}, false},
		{"no functions", ops.Aggregate{Keys: []ops.Column{key("k", expr.Col("k"))}}, false},
		{"keys alike but for case", ops.Aggregate{Keys: []ops.Column{key("x", expr.Col("k")), key("X", expr.Col("v"))},
			Aggs: []ops.Agg{distinct("c", "count", expr.Col("w"))}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := c.a
			p := &Plan{Nodes: []Node{{Kind: KindAggregate, Aggregate: &a}}}
			q := p.withDistinctSplit()
			require.Len(t, p.Nodes, 1, "the plan given is unchanged")
			if !c.split {
				require.Same(t, p, q)
				return
			}
			require.Len(t, q.Nodes, 2)
			first, second := q.Nodes[0].Aggregate, q.Nodes[1].Aggregate
			require.Empty(t, first.Aggs)
			require.Len(t, first.Keys, len(a.Keys)+1)
			hidden := first.Keys[len(a.Keys)].Name
			for _, k := range a.Keys {
				require.False(t, strings.EqualFold(k.Name, hidden), "the argument's column %q is named like a key", hidden)
			}
			for _, g := range second.Aggs {
				require.False(t, g.Spec.Distinct)
			}
			want, err := p.Schemas(src)
			require.NoError(t, err)
			got, err := q.Schemas(src)
			require.NoError(t, err)
			require.True(t, want[len(want)-1].Equal(got[len(got)-1]), "%s\nvs\n%s", want[len(want)-1], got[len(got)-1])
		})
	}
}
