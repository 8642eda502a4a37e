package expr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/dfq/dfq/ops/column"
)

// Bound is an expression bound to a schema, ready to evaluate. It is
// immutable and safe for concurrent use: Eval may be called from many
// goroutines at once.
type Bound interface {
	// Type is the logical type of the result. A utf8 result may be returned as
	// a dictionary array (int32 indices, utf8 values).
	Type() arrow.DataType
	// Eval evaluates the expression over rec, whose columns must be those of
	// the bound schema (matched by position, or by name when the positions
	// differ; a utf8 column may be a dictionary array). It returns a new array
	// of rec.NumRows() rows owned by the caller, who must Release it. A bare
	// column reference returns the column itself, retained. mem allocates the
	// result and temporaries (nil means memory.DefaultAllocator).
	Eval(rec arrow.Record, mem memory.Allocator) (arrow.Array, error)
}

// Bind type-checks e against schema and returns the evaluable expression.
// schema is the logical schema: a dictionary-typed field is treated as its
// value type. User mistakes are reported as *Error.
func Bind(e *Expr, schema *arrow.Schema) (Bound, error) {
	b := &binder{schema: schema}
	for _, f := range schema.Fields() {
		b.types = append(b.types, logical(f.Type))
	}
	root, err := b.bind(e)
	if err != nil {
		return nil, err
	}
	root = b.wrap(root)
	out := &bound{root: root, ncols: len(b.types), schema: schema}
	seen := map[int]bool{}
	walk(root, func(n node) {
		if c, ok := n.(*colNode); ok && !seen[c.idx] {
			seen[c.idx] = true
			out.refs = append(out.refs, c)
		}
	})
	return out, nil
}

type bound struct {
	root   node
	ncols  int
	refs   []*colNode
	schema *arrow.Schema
}

func (b *bound) Type() arrow.DataType { return b.root.typ() }

func (b *bound) String() string { return fmt.Sprintf("bound(%s)", b.root.typ()) }

func (b *bound) Eval(rec arrow.Record, mem memory.Allocator) (arrow.Array, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	c := &ctx{cols: make([]arrow.Array, b.ncols), n: int(rec.NumRows()), mem: mem}
	sch := rec.Schema()
	for _, r := range b.refs {
		i := r.idx
		if i >= int(rec.NumCols()) || sch.Field(i).Name != r.name {
			idx := sch.FieldIndices(r.name)
			if len(idx) != 1 {
				return nil, fmt.Errorf("expr: column %q is not in the batch (batch columns: %s)", r.name, strings.Join(fieldNames(sch), ", "))
			}
			i = idx[0]
		}
		col := rec.Column(i)
		if !arrow.TypeEqual(logical(col.DataType()), r.t) {
			return nil, fmt.Errorf("expr: column %q has type %s in the batch, bound as %s", r.name, col.DataType(), r.t)
		}
		if col.Len() != c.n {
			return nil, fmt.Errorf("expr: column %q has %d rows, the batch %d", r.name, col.Len(), c.n)
		}
		c.cols[r.idx] = col
	}
	v, err := b.root.eval(c)
	if err != nil {
		return nil, err
	}
	if v.isConst() {
		return column.Repeat(mem, v.k.t, v.k.v, c.n)
	}
	return v.a, nil
}

func fieldNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// node is a bound expression node. Nodes are immutable after Bind.
type node interface {
	typ() arrow.DataType
	// eval returns the node's value over c; the caller releases it.
	eval(c *ctx) (vec, error)
	args() []node
}

type base struct {
	kids []node
	t    arrow.DataType
	pos  int
}

func (b *base) typ() arrow.DataType { return b.t }
func (b *base) args() []node        { return b.kids }

func walk(n node, f func(node)) {
	f(n)
	for _, k := range n.args() {
		walk(k, f)
	}
}

// evalArg evaluates the argument of a function that is NULL when it is: a
// plain array of c.n rows (a constant repeated), which the caller releases,
// or null = true when the argument is the constant NULL.
func evalArg(c *ctx, n node) (a arrow.Array, null bool, err error) {
	v, err := evalPlain(c, n)
	if err != nil {
		return nil, false, err
	}
	defer v.release()
	if v.constNull() {
		return nil, true, nil
	}
	a, err = c.materialize(v)
	return a, false, err
}

// evalPlain evaluates n and unpacks a dictionary result.
func evalPlain(c *ctx, n node) (vec, error) {
	v, err := n.eval(c)
	if err != nil {
		return vec{}, err
	}
	return c.plain(v)
}

type colNode struct {
	base
	idx  int
	name string
}

func (n *colNode) eval(c *ctx) (vec, error) {
	a := c.cols[n.idx]
	a.Retain()
	return vec{a: a}, nil
}

type constNode struct {
	base
	k konst
}

func (n *constNode) eval(*ctx) (vec, error) { return vec{k: n.k}, nil }

func isConstNode(n node) bool { _, ok := n.(*constNode); return ok }

func constOf(n node) (konst, bool) {
	if c, ok := n.(*constNode); ok {
		return c.k, true
	}
	return konst{}, false
}

func newConst(k konst, pos int) *constNode {
	return &constNode{base: base{t: k.t, pos: pos}, k: k}
}

// dictNode evaluates a subexpression of one utf8 column over the column's
// dictionary values when the batch brings it dictionary-encoded, then expands
// the result by the indices.
type dictNode struct {
	base
	col int
}

func (n *dictNode) eval(c *ctx) (vec, error) {
	inner := n.kids[0]
	da, ok := c.cols[n.col].(*array.Dictionary)
	if !ok || c.inDict || da.Dictionary().Len() > max(c.n, 16) || da.Indices().DataType().ID() != arrow.INT32 {
		return inner.eval(c)
	}
	ind := da.Indices().(*array.Int32)
	values := da.Dictionary()
	values.Retain()
	defer func() { values.Release() }()
	nullIdx := ind.NullN() > 0
	if nullIdx {
		// one extra NULL value stands for the NULL indices
		nul := array.MakeArrayOfNull(c.mem, values.DataType(), 1)
		ext, err := column.Concat(c.mem, []arrow.Array{values, nul})
		nul.Release()
		if err != nil {
			return vec{}, err
		}
		values.Release()
		values = ext
	}
	c2 := *c
	c2.cols = slices.Clone(c.cols)
	c2.cols[n.col] = values
	c2.n = values.Len()
	c2.inDict = true
	r, err := evalPlain(&c2, inner)
	if err != nil {
		// the dictionary may hold values no row of this batch uses: evaluate row
		// by row so only real rows can fail.
		return inner.eval(c)
	}
	if r.isConst() {
		return r, nil
	}
	defer r.release()
	var idx arrow.Array = ind
	if nullIdx {
		buf, dst := newFixed[int32](c.mem, c.n)
		src := ind.Int32Values()
		bm := ind.NullBitmapBytes()
		off := ind.Data().Offset()
		last := int32(values.Len() - 1)
		for i, j := range src {
			if bitutil.BitIsSet(bm, off+i) {
				dst[i] = j
			} else {
				dst[i] = last
			}
		}
		idx = makeArray(arrow.PrimitiveTypes.Int32, c.n, 0, nil, buf)
		defer idx.Release()
	}
	if isString(r.a.DataType()) {
		dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: r.a.DataType()}
		return vec{a: array.NewDictionaryArray(dt, idx, r.a)}, nil
	}
	out, err := column.TakeIndices(c.mem, r.a, idx)
	if err != nil {
		return vec{}, err
	}
	return vec{a: out}, nil
}

type binder struct {
	schema *arrow.Schema
	types  []arrow.DataType
}

// wrap inserts dictNodes above the largest subexpressions of exactly one
// string column.
func (b *binder) wrap(n node) node {
	switch n.(type) {
	case *colNode, *constNode, *dictNode:
		return n
	}
	col, many := refs(n)
	if !many && col >= 0 && isString(b.types[col]) {
		return &dictNode{base: base{kids: []node{n}, t: n.typ(), pos: -1}, col: col}
	}
	ks := n.args()
	for i := range ks {
		ks[i] = b.wrap(ks[i])
	}
	return n
}

// refs returns the column referenced by n, or many when more than one.
func refs(n node) (col int, many bool) {
	col = -1
	walk(n, func(x node) {
		c, ok := x.(*colNode)
		if !ok {
			if d, ok := x.(*dictNode); ok {
				if col >= 0 && col != d.col {
					many = true
				}
				col = d.col
			}
			return
		}
		if col >= 0 && col != c.idx {
			many = true
		}
		col = c.idx
	})
	return col, many
}

// fold evaluates a node whose arguments are all constants.
func fold(n node) (node, error) {
	switch n.(type) {
	case *colNode, *constNode:
		return n, nil
	}
	for _, k := range n.args() {
		if !isConstNode(k) {
			return n, nil
		}
	}
	pos := -1
	if bn, ok := n.(interface{ position() int }); ok {
		pos = bn.position()
	}
	c := &ctx{n: 1, mem: memory.DefaultAllocator}
	v, err := n.eval(c)
	if err != nil {
		return nil, err
	}
	if v.isConst() {
		return newConst(konst{t: n.typ(), v: v.k.v}, pos), nil
	}
	p, err := c.plain(v)
	if err != nil {
		return nil, err
	}
	defer p.release()
	k := konstAt(p.a, 0)
	k.t = n.typ()
	return newConst(k, pos), nil
}

func (b *base) position() int { return b.pos }

func (b *binder) bind(e *Expr) (node, error) {
	if e == nil {
		return nil, &Error{Pos: -1, Msg: "missing expression"}
	}
	switch e.Kind {
	case KindCol:
		return b.column(e)
	case KindLit:
		if e.Lit == nil {
			return nil, errf(e.Pos, "literal without a value")
		}
		k, err := literal(e.Lit)
		if err != nil {
			return nil, errf(e.Pos, "%s", err.Error())
		}
		return newConst(k, e.Pos), nil
	case KindCast:
		if len(e.Args) != 1 {
			return nil, errf(e.Pos, "CAST takes one argument, got %d", len(e.Args))
		}
		x, err := b.bind(e.Args[0])
		if err != nil {
			return nil, err
		}
		t, err := ParseType(e.Type)
		if err != nil {
			return nil, &Error{Pos: e.Pos, Msg: err.Error()}
		}
		return b.cast(x, t, e.Pos)
	case KindCall:
		args := make([]node, len(e.Args))
		for i, a := range e.Args {
			n, err := b.bind(a)
			if err != nil {
				return nil, err
			}
			args[i] = n
		}
		return b.call(e, args)
	}
	return nil, errf(e.Pos, "unknown expression kind %q", e.Kind)
}

func (b *binder) column(e *Expr) (node, error) {
	idx := -1
	for i, f := range b.schema.Fields() {
		if f.Name == e.Name {
			idx = i
			break
		}
	}
	if idx < 0 {
		var matches []string
		for i, f := range b.schema.Fields() {
			if strings.EqualFold(f.Name, e.Name) {
				idx = i
				matches = append(matches, f.Name)
			}
		}
		if len(matches) > 1 {
			return nil, &Error{Pos: e.Pos, Msg: fmt.Sprintf("column reference %q is ambiguous", e.Name),
				Hint: "matches " + strings.Join(matches, ", ")}
		}
	}
	if idx < 0 {
		err := &Error{Pos: e.Pos, Msg: fmt.Sprintf("unknown column %q", e.Name)}
		if s := suggest(e.Name, fieldNames(b.schema)); s != "" {
			err.Hint = "did you mean " + s + "?"
		}
		return nil, err
	}
	t := b.types[idx]
	if !supported(t) {
		return nil, errf(e.Pos, "column %q has unsupported type %s", b.schema.Field(idx).Name, t)
	}
	return &colNode{base: base{t: t, pos: e.Pos}, idx: idx, name: b.schema.Field(idx).Name}, nil
}

// literal converts an Expr literal to a constant.
func literal(l *Literal) (konst, error) {
	switch l.Type {
	case "null":
		return konst{t: tNull}, nil
	case "bool":
		return konst{t: tBool, v: l.B}, nil
	case "int64":
		return konst{t: tInt64, v: l.I}, nil
	case "float64":
		return konst{t: tFloat64, v: l.F}, nil
	case "string":
		return konst{t: tString, v: l.S}, nil
	case "date":
		return konst{t: tDate, v: l.I}, nil
	case "timestamp":
		return konst{t: &arrow.TimestampType{Unit: arrow.Microsecond}, v: l.I}, nil
	case "decimal":
		s := strings.TrimSpace(l.S)
		if !isDecimalText(s) || strings.ContainsAny(s, "eE") {
			return konst{}, fmt.Errorf("bad decimal literal %q", l.S)
		}
		digits, scale, frac := 0, 0, false
		lead := true
		for _, r := range s {
			switch {
			case r == '.':
				frac = true
			case r >= '0' && r <= '9':
				if r != '0' {
					lead = false
				}
				if !lead || frac {
					digits++
				}
				if frac {
					scale++
				}
			}
		}
		p := max(digits, scale, 1)
		if p > 38 {
			var f float64
			if _, err := fmt.Sscan(s, &f); err != nil {
				return konst{}, fmt.Errorf("bad decimal literal %q", l.S)
			}
			return konst{t: tFloat64, v: f}, nil
		}
		dt := &arrow.Decimal128Type{Precision: int32(p), Scale: int32(scale)}
		d, err := decimal128.FromString(s, dt.Precision, dt.Scale)
		if err != nil {
			return konst{}, fmt.Errorf("bad decimal literal %q", l.S)
		}
		return konst{t: dt, v: d}, nil
	}
	return konst{}, fmt.Errorf("unknown literal type %q", l.Type)
}

// cast converts n to type t (implicitly or for CAST), folding constants.
func (b *binder) cast(n node, t arrow.DataType, pos int) (node, error) {
	from := n.typ()
	if arrow.TypeEqual(from, t) {
		return n, nil
	}
	if k, ok := constOf(n); ok && k.null() {
		return newConst(konst{t: t}, pos), nil
	}
	if !castable(from, t) {
		return nil, errf(pos, "cannot cast %s to %s", typeName(from), typeName(t))
	}
	return fold(&castNode{base: base{kids: []node{n}, t: t, pos: pos}})
}
