package plan

import (
	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/ops/expr"
)

// withWindowKeep returns p, or a copy of it in which each row_number window
// whose number a later filter bounds from above (rn <= N, rn < N, rn = N,
// or the same turned around, as a conjunct) keeps only the rows numbered up
// to the bound (ops.Window.Keep). The filters stay: Keep only spares the
// window sorting and emitting rows they would drop. Only filters and
// projections that carry the number along (under its name or a new one)
// are looked through, and only while no other column has the number's name
// (names bind regardless of case), so that a filter's column is surely the
// number. schemas are p's (see Schemas).
func (p *Plan) withWindowKeep(schemas []*arrow.Schema) *Plan {
	q := p
	for i, n := range p.Nodes {
		if n.Kind != KindWindow || n.Window.Func != "row_number" {
			continue
		}
		keep := rowBound(p.Nodes[i+1:], schemas[i+1:], n.Window.Name)
		if keep <= 0 {
			continue
		}
		if q == p {
			q = &Plan{Source: p.Source, Nodes: append([]Node(nil), p.Nodes...)}
		}
		w := *n.Window
		w.Keep = keep
		q.Nodes[i] = Node{Kind: KindWindow, Window: &w}
	}
	return q
}

// rowBound is the tightest upper bound the filters among nodes put on the
// column name (a row number) while it is carried along, or 0. schemas[0]
// is the schema the first node reads, schemas[k+1] the output of nodes[k].
func rowBound(nodes []Node, schemas []*arrow.Schema, name string) int64 {
	var keep int64
	for k, n := range nodes {
		if !unique(schemas[k], name) {
			return keep
		}
		switch n.Kind {
		case KindFilter:
			for _, c := range expr.Conjuncts(n.Filter.Pred) {
				if b := conjunctBound(c, name); b > 0 && (keep == 0 || b < keep) {
					keep = b
				}
			}
		case KindProject:
			carried := ""
			for _, c := range n.Project.Columns {
				if c.Expr.Kind == expr.KindCol && equalFold(c.Expr.Name, name) {
					carried = c.Name
					break
				}
			}
			if carried == "" {
				return keep
			}
			name = carried
		default:
			return keep
		}
	}
	return keep
}

// unique reports whether exactly one field of s is named name, regardless
// of case.
func unique(s *arrow.Schema, name string) bool {
	n := 0
	for _, f := range s.Fields() {
		if equalFold(f.Name, name) {
			n++
		}
	}
	return n == 1
}

// conjunctBound is N when c is col <= N, col < N+1, col = N or the same
// with the operands swapped (N an integer literal), else 0.
func conjunctBound(c *expr.Expr, name string) int64 {
	if c.Kind != expr.KindCall || len(c.Args) != 2 {
		return 0
	}
	op := c.Name
	col, lit := c.Args[0], c.Args[1]
	if col.Kind == expr.KindLit {
		col, lit = lit, col
		switch op {
		case expr.OpGe:
			op = expr.OpLe
		case expr.OpGt:
			op = expr.OpLt
		case expr.OpEq:
		default:
			return 0
		}
	}
	if col.Kind != expr.KindCol || !equalFold(col.Name, name) ||
		lit.Kind != expr.KindLit || lit.Lit == nil || lit.Lit.Type != "int64" {
		return 0
	}
	switch op {
	case expr.OpLe, expr.OpEq:
		return lit.Lit.I
	case expr.OpLt:
		return lit.Lit.I - 1
	}
	return 0
}
