package plan

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops/expr"
)

// Stage is a run of streaming nodes (Pipe: filters and projections) applied
// to every partition, ending in a pipeline breaker (aggregate, sort, limit or
// window) that is run in two phases: a per-partition phase and a merge. The
// last stage of a plan may have no breaker.
type Stage struct {
	Pipe    []Node `json:"pipe,omitempty"`
	Breaker *Node  `json:"breaker,omitempty"`
	// In is the schema of the stage's input partitions; BreakerIn the schema
	// after Pipe (the breaker's input); Out the stage's output.
	In        *arrow.Schema `json:"-"`
	BreakerIn *arrow.Schema `json:"-"`
	Out       *arrow.Schema `json:"-"`
}

// Physical is a plan cut into stages, with what the scan must read.
type Physical struct {
	// Columns are the source columns the query reads, in source order; nil
	// means all.
	Columns []string
	// Preds are the pruning predicates pushed into the scan.
	Preds []source.Pred
	// ScanSchema is the schema of the scanned (projected) source.
	ScanSchema *arrow.Schema
	Stages     []Stage
	// Out is the schema of the result.
	Out *arrow.Schema
}

// Physical plans p over a source of schema src: it prunes unused columns,
// pushes leading filter conjuncts into the scan as pruning predicates, lets
// row_number windows keep only the rows a later filter on the number keeps
// (see withWindowKeep), runs aggregates of DISTINCT values as two group-bys
// (see withDistinctSplit), and cuts the node chain into stages at pipeline
// breakers.
func (p *Plan) Physical(src *arrow.Schema) (*Physical, error) {
	schemas, err := p.Schemas(src)
	if err != nil {
		return nil, err
	}
	p = p.withWindowKeep(schemas).withDistinctSplit()
	ph := &Physical{}
	// Columns: everything referenced up to the first node that replaces the
	// column set; if none does, every column.
	var refs []*expr.Expr
	replaced := false
	for _, n := range p.Nodes {
		refs = append(refs, n.exprs()...)
		if n.Kind == KindProject || n.Kind == KindAggregate {
			replaced = true
			break
		}
	}
	scan := src
	if replaced {
		need := map[string]bool{}
		for _, c := range expr.Columns(refs...) {
			need[c] = true
			if i := src.FieldIndices(c); len(i) == 0 {
				// Bind resolves names case-insensitively; keep the source's spelling.
				for _, f := range src.Fields() {
					if equalFold(f.Name, c) {
						need[f.Name] = true
					}
				}
			}
		}
		var fields []arrow.Field
		ph.Columns = []string{}
		for _, f := range src.Fields() {
			if need[f.Name] {
				fields = append(fields, f)
				ph.Columns = append(ph.Columns, f.Name)
			}
		}
		scan = arrow.NewSchema(fields, nil)
	}
	ph.ScanSchema = scan
	for _, n := range p.Nodes {
		if n.Kind != KindFilter {
			break
		}
		for _, c := range expr.Conjuncts(n.Filter.Pred) {
			if pr, ok := expr.Pred(c, scan); ok {
				ph.Preds = append(ph.Preds, pr)
			}
		}
	}
	cur := scan
	st := Stage{In: cur}
	for i := range p.Nodes {
		n := p.Nodes[i]
		out, err := n.Schema(cur)
		if err != nil {
			return nil, err
		}
		switch n.Kind {
		case KindFilter, KindProject:
			st.Pipe = append(st.Pipe, n)
		case KindAggregate, KindSort, KindLimit, KindWindow:
			st.BreakerIn = cur
			st.Breaker = &p.Nodes[i]
			st.Out = out
			ph.Stages = append(ph.Stages, st)
			st = Stage{In: out}
		default:
			return nil, fmt.Errorf("plan: unknown node kind %q", n.Kind)
		}
		cur = out
	}
	if len(st.Pipe) > 0 || len(ph.Stages) == 0 {
		st.BreakerIn = cur
		st.Out = cur
		ph.Stages = append(ph.Stages, st)
	}
	ph.Out = cur
	return ph, nil
}

func (n Node) exprs() []*expr.Expr {
	var out []*expr.Expr
	switch n.Kind {
	case KindFilter:
		out = append(out, n.Filter.Pred)
	case KindProject:
		for _, c := range n.Project.Columns {
			out = append(out, c.Expr)
		}
	case KindAggregate:
		for _, c := range n.Aggregate.Keys {
			out = append(out, c.Expr)
		}
		for _, a := range n.Aggregate.Aggs {
			out = append(out, a.Args...)
		}
	case KindSort:
		for _, k := range n.Sort.Keys {
			out = append(out, k.Expr)
		}
	case KindWindow:
		out = append(out, n.Window.PartitionBy...)
		for _, k := range n.Window.OrderBy {
			out = append(out, k.Expr)
		}
	}
	return out
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
