package plan

import (
	"strings"

	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/expr"
)

// withDistinctSplit returns p, or a copy of it in which each aggregate whose
// every function is count, sum or avg of the DISTINCT values of one and the
// same argument runs in two steps, as DuckDB does: a group-by on the keys
// and that argument (no functions), then the functions without DISTINCT
// over its groups, by the keys. The first step is an ordinary group-by: its
// partial results are merged by hash bucket in parallel, where the sets of
// distinct values per group that DISTINCT keeps would be merged by the
// groups' buckets alone, and it uses the group tables' fast paths. The
// result is the same: NULL arguments form a group of the first step that
// count, sum and avg then skip. The output columns keep their names and
// types.
func (p *Plan) withDistinctSplit() *Plan {
	var nodes []Node
	changed := false
	for _, n := range p.Nodes {
		if n.Kind == KindAggregate {
			if first, second, ok := splitDistinct(n.Aggregate); ok {
				nodes = append(nodes, Node{Kind: KindAggregate, Aggregate: first},
					Node{Kind: KindAggregate, Aggregate: second})
				changed = true
				continue
			}
		}
		nodes = append(nodes, n)
	}
	if !changed {
		return p
	}
	return &Plan{Source: p.Source, Nodes: nodes}
}

// splitDistinct returns the two steps of a, when it can be split (see
// withDistinctSplit).
func splitDistinct(a *ops.Aggregate) (first, second *ops.Aggregate, ok bool) {
	if len(a.Aggs) == 0 {
		return nil, nil, false
	}
	arg := ""
	for _, g := range a.Aggs {
		switch {
		case !g.Spec.Distinct || len(g.Args) != 1:
			return nil, nil, false
		case g.Spec.Func != "count" && g.Spec.Func != "sum" && g.Spec.Func != "avg":
			return nil, nil, false
		case arg == "":
			arg = g.Args[0].String()
		case g.Args[0].String() != arg:
			return nil, nil, false
		}
	}
	// The argument's column in the first step needs a name no key has
	// (names bind regardless of case).
	seen := map[string]bool{}
	for _, k := range a.Keys {
		name := strings.ToLower(k.Name)
		if seen[name] {
			return nil, nil, false
		}
		seen[name] = true
	}
	hidden := "distinct value"
	for seen[hidden] {
		hidden += "'"
	}
	first = &ops.Aggregate{Keys: append(append([]ops.Column(nil), a.Keys...), ops.Column{Name: hidden, Expr: a.Aggs[0].Args[0]})}
	second = &ops.Aggregate{}
	for _, k := range a.Keys {
		second.Keys = append(second.Keys, ops.Column{Name: k.Name, Expr: expr.Col(k.Name)})
	}
	for _, g := range a.Aggs {
		second.Aggs = append(second.Aggs, ops.Agg{Name: g.Name, Spec: agg.Spec{Func: g.Spec.Func, Param: g.Spec.Param},
			Args: []*expr.Expr{expr.Col(hidden)}})
	}
	return first, second, true
}
