package expr

import (
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/dfq/dfq/io/source"
)

// Pred turns one conjunct of a filter into a pruning predicate for readers:
// `col op literal` (or `literal op col`, flipped) for = != < <= > >=,
// `col BETWEEN lit AND lit`, `col IN (lits)` and `col IS [NOT] NULL`. The
// column must be a boolean, integer, float, utf8, date32 or timestamp column
// of schema; values follow source.Pred (int64 for signed and uint64 for
// unsigned integers, float64, string, bool, int32 days for dates, int64 in
// the column's unit for timestamps). It returns false when e has another
// shape or a literal does not convert exactly (2.5 against an integer
// column, a non-midnight timestamp against a date): the filter still applies
// e, so false only means no pruning.
func Pred(e *Expr, schema *arrow.Schema) (source.Pred, bool) {
	if e == nil || e.Kind != KindCall {
		return source.Pred{}, false
	}
	a := e.Args
	switch e.Name {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, "<>", "==":
		if len(a) != 2 {
			break
		}
		op := map[string]source.Op{OpEq: source.OpEq, "==": source.OpEq, OpNe: source.OpNe, "<>": source.OpNe,
			OpLt: source.OpLt, OpLe: source.OpLe, OpGt: source.OpGt, OpGe: source.OpGe}[e.Name]
		col, lit := a[0], a[1]
		if col.Kind == KindLit && lit.Kind == KindCol {
			col, lit = lit, col
			op = map[source.Op]source.Op{source.OpEq: source.OpEq, source.OpNe: source.OpNe, source.OpLt: source.OpGt,
				source.OpLe: source.OpGe, source.OpGt: source.OpLt, source.OpGe: source.OpLe}[op]
		}
		return predOf(schema, col, op, lit)
	case OpBetween:
		if len(a) == 3 {
			return predOf(schema, a[0], source.OpBetween, a[1], a[2])
		}
	case OpIn:
		if len(a) < 2 {
			break
		}
		var lits []*Expr
		for _, l := range a[1:] {
			if l.Kind == KindLit && l.Lit != nil && l.Lit.Type == "null" {
				continue // NULL never makes IN true
			}
			lits = append(lits, l)
		}
		if len(lits) == 0 {
			break
		}
		return predOf(schema, a[0], source.OpIn, lits...)
	case OpIsNull, OpIsNotNull:
		if len(a) == 1 {
			op := source.OpIsNull
			if e.Name == OpIsNotNull {
				op = source.OpNotNull
			}
			return predOf(schema, a[0], op)
		}
	}
	return source.Pred{}, false
}

func predOf(schema *arrow.Schema, col *Expr, op source.Op, lits ...*Expr) (source.Pred, bool) {
	if col == nil || col.Kind != KindCol {
		return source.Pred{}, false
	}
	b := &binder{schema: schema}
	for _, f := range schema.Fields() {
		b.types = append(b.types, logical(f.Type))
	}
	n, err := b.column(col)
	if err != nil {
		return source.Pred{}, false
	}
	cn := n.(*colNode)
	p := source.Pred{Column: cn.name, Op: op}
	for _, l := range lits {
		if l == nil || l.Kind != KindLit || l.Lit == nil {
			return source.Pred{}, false
		}
		v, ok := predValue(cn.t, l.Lit)
		if !ok {
			return source.Pred{}, false
		}
		p.Values = append(p.Values, v)
	}
	return p, true
}

// predValue converts a literal exactly to the value type source.Pred uses for
// a column of type t.
func predValue(t arrow.DataType, l *Literal) (any, bool) {
	switch {
	case l.Type == "null":
		return nil, false
	case isInt(t):
		var v int64
		switch l.Type {
		case "int64":
			v = l.I
		case "float64":
			if l.F != math.Trunc(l.F) || math.Abs(l.F) >= 1<<63 {
				return nil, false
			}
			v = int64(l.F)
		default:
			return nil, false
		}
		if isUnsigned(t) {
			if v < 0 {
				return nil, false
			}
			return uint64(v), true
		}
		return v, true
	case isFloat(t):
		switch l.Type {
		case "int64":
			return float64(l.I), true
		case "float64":
			return l.F, true
		}
	case t.ID() == arrow.STRING:
		if l.Type == "string" {
			return l.S, true
		}
	case t.ID() == arrow.BOOL:
		if l.Type == "bool" {
			return l.B, true
		}
	case t.ID() == arrow.DATE32:
		switch l.Type {
		case "date":
			if l.I < math.MinInt32 || l.I > math.MaxInt32 {
				return nil, false
			}
			return int32(l.I), true
		case "string":
			if d, ok := parseDate(l.S); ok {
				return d, true
			}
		}
	case t.ID() == arrow.TIMESTAMP:
		ups := unitsPerSecond(tsUnit(t))
		var sec, nsec int64
		switch l.Type {
		case "timestamp":
			sec, nsec = floorDiv(l.I, 1_000_000), (l.I-floorDiv(l.I, 1_000_000)*1_000_000)*1000
		case "date":
			sec = l.I * 86400
		case "string":
			var ok bool
			if sec, nsec, ok = parseTimestamp(l.S); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
		if nsec%(1_000_000_000/ups) != 0 {
			return nil, false // not representable in the column's unit
		}
		v, ok := toUnit(sec, nsec, ups)
		if !ok {
			return nil, false
		}
		return v, true
	}
	return nil, false
}
