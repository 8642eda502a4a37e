package plan

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/expr"
)

// Source is where a plan's rows come from: files (Paths, possibly globs or
// directories) or, for library users, in-memory Arrow records (Table, not
// serialised: such a plan runs in the process that holds the records).
type Source struct {
	Paths  []string           `json:"paths,omitempty"`
	Format source.Format      `json:"format,omitempty"` // "" detects
	CSV    *source.CSVOptions `json:"csv,omitempty"`
	Table  *Table             `json:"-"`
}

// Table is an in-memory input: records of one schema. The plan does not own
// them; they must stay valid while queries over them run.
type Table struct {
	Schema  *arrow.Schema
	Records []arrow.Record
}

// Kind names a plan node's operation.
type Kind string

// Node kinds.
const (
	KindFilter    Kind = "filter"
	KindProject   Kind = "project"
	KindAggregate Kind = "aggregate"
	KindSort      Kind = "sort"
	KindLimit     Kind = "limit"
	KindWindow    Kind = "window"
)

// Node is one operation of a plan. Exactly the field matching Kind is set.
type Node struct {
	Kind      Kind           `json:"kind"`
	Filter    *ops.Filter    `json:"filter,omitempty"`
	Project   *ops.Project   `json:"project,omitempty"`
	Aggregate *ops.Aggregate `json:"aggregate,omitempty"`
	Sort      *ops.Sort      `json:"sort,omitempty"`
	Limit     *ops.Limit     `json:"limit,omitempty"`
	Window    *ops.Window    `json:"window,omitempty"`
}

// Plan is a logical query plan: a source followed by a chain of nodes, each
// consuming the previous one's output. Plans are immutable values: builders
// return new plans sharing unchanged parts.
type Plan struct {
	Source Source `json:"source"`
	Nodes  []Node `json:"nodes,omitempty"`
}

// With returns a copy of p with n appended.
func (p *Plan) With(n Node) *Plan {
	q := &Plan{Source: p.Source, Nodes: make([]Node, len(p.Nodes), len(p.Nodes)+1)}
	copy(q.Nodes, p.Nodes)
	q.Nodes = append(q.Nodes, n)
	return q
}

// MarshalJSON and UnmarshalJSON use the default encoding; they exist to state
// that a Plan round-trips through JSON (minus in-memory tables).
func (p *Plan) JSON() ([]byte, error) { return json.Marshal(p) }

// Schemas returns the schema after each node: out[0] is the source schema
// given, out[i+1] the output of Nodes[i]. It type-checks every expression.
func (p *Plan) Schemas(src *arrow.Schema) ([]*arrow.Schema, error) {
	out := []*arrow.Schema{src}
	cur := src
	for _, n := range p.Nodes {
		next, err := n.Schema(cur)
		if err != nil {
			return nil, err
		}
		out = append(out, next)
		cur = next
	}
	return out, nil
}

// Schema returns the node's output schema for input schema in.
func (n Node) Schema(in *arrow.Schema) (*arrow.Schema, error) {
	switch n.Kind {
	case KindFilter:
		if _, err := ops.CheckPredicate(n.Filter.Pred, in); err != nil {
			return nil, err
		}
		return in, nil
	case KindProject:
		return n.Project.Schema(in)
	case KindAggregate:
		return n.Aggregate.Schema(in)
	case KindSort:
		return in, n.Sort.Check(in)
	case KindLimit:
		return in, nil
	case KindWindow:
		return n.Window.Schema(in)
	}
	return nil, fmt.Errorf("plan: unknown node kind %q", n.Kind)
}

// String renders the node for EXPLAIN.
func (n Node) String() string {
	switch n.Kind {
	case KindFilter:
		return "Filter " + n.Filter.Pred.String()
	case KindProject:
		return "Project " + columnsString(n.Project.Columns)
	case KindAggregate:
		var parts []string
		for _, a := range n.Aggregate.Aggs {
			parts = append(parts, a.String()+" AS "+a.Name)
		}
		s := "Aggregate [" + strings.Join(parts, ", ") + "]"
		if len(n.Aggregate.Keys) > 0 {
			s += " by " + columnsString(n.Aggregate.Keys)
		}
		return s
	case KindSort:
		var parts []string
		for _, k := range n.Sort.Keys {
			parts = append(parts, k.String())
		}
		s := "Sort " + strings.Join(parts, ", ")
		if n.Sort.Limit >= 0 {
			s += fmt.Sprintf(" (top %d)", n.Sort.Limit)
		}
		return s
	case KindLimit:
		s := fmt.Sprintf("Limit %d", n.Limit.N)
		if n.Limit.Offset > 0 {
			s += fmt.Sprintf(" offset %d", n.Limit.Offset)
		}
		return s
	case KindWindow:
		return "Window " + n.Window.String()
	}
	return string(n.Kind)
}

func columnsString(cs []ops.Column) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		s := c.Expr.String()
		if c.Expr.Kind != expr.KindCol || c.Expr.Name != c.Name {
			s += " AS " + c.Name
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}
