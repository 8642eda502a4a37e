package parquet

import (
	"bytes"
	"math"

	"github.com/parquet-go/parquet-go/format"

	"github.com/dfq/dfq/io/source"
)

// boundPred is a pruning predicate bound to a file column.
type boundPred struct {
	col  *column
	pred source.Pred
}

// bindPreds keeps the predicates on columns of the file; others cannot prune.
func bindPreds(cols []column, preds []source.Pred) []boundPred {
	var out []boundPred
	for _, p := range preds {
		for i := range cols {
			if cols[i].name == p.Column {
				out = append(out, boundPred{col: &cols[i], pred: p})
				break
			}
		}
	}
	return out
}

// pruneRowGroup reports whether the statistics of rg prove some predicate
// false (or NULL) for every row.
func pruneRowGroup(rg *format.RowGroup, preds []boundPred) bool {
	for _, bp := range preds {
		if bp.col.leaf >= len(rg.Columns) {
			continue
		}
		if provesFalse(bp.col, &rg.Columns[bp.col.leaf].MetaData, rg.NumRows, bp.pred) {
			return true
		}
	}
	return false
}

// provesFalse reports whether a column chunk's statistics prove p false or
// NULL for every row.
func provesFalse(c *column, m *format.ColumnMetaData, rows int64, p source.Pred) bool {
	if rows <= 0 {
		return false
	}
	nulls := m.Statistics.NullCount
	allNull := nulls == rows && nulls > 0
	switch p.Op {
	case source.OpIsNull:
		if !c.nullable {
			return true
		}
		// null_count is trusted only next to min/max, which writers that
		// maintain statistics record together.
		st := &m.Statistics
		hasBounds := (st.MinValue != nil && st.MaxValue != nil) || (st.Min != nil && st.Max != nil)
		return nulls == 0 && hasBounds
	case source.OpNotNull:
		return allNull
	}
	if allNull {
		// Every comparison with NULL is NULL.
		return true
	}
	lo, hi, ok := chunkBounds(c, m)
	if !ok {
		return false
	}
	cmp := func(s statValue, v any) (int, bool) { return compareStat(c.stat, s, v) }
	switch p.Op {
	case source.OpEq:
		if len(p.Values) != 1 {
			return false
		}
		return outside(cmp, lo, hi, p.Values[0])
	case source.OpIn:
		if len(p.Values) == 0 {
			return false
		}
		for _, v := range p.Values {
			if !outside(cmp, lo, hi, v) {
				return false
			}
		}
		return true
	case source.OpNe:
		if len(p.Values) != 1 {
			return false
		}
		a, ok1 := cmp(lo, p.Values[0])
		b, ok2 := cmp(hi, p.Values[0])
		return ok1 && ok2 && a == 0 && b == 0
	case source.OpLt, source.OpLe, source.OpGt, source.OpGe:
		if len(p.Values) != 1 {
			return false
		}
		v := p.Values[0]
		switch p.Op {
		case source.OpLt: // min >= v
			r, ok := cmp(lo, v)
			return ok && r >= 0
		case source.OpLe: // min > v
			r, ok := cmp(lo, v)
			return ok && r > 0
		case source.OpGt: // max <= v
			r, ok := cmp(hi, v)
			return ok && r <= 0
		default: // max < v
			r, ok := cmp(hi, v)
			return ok && r < 0
		}
	case source.OpBetween:
		if len(p.Values) != 2 {
			return false
		}
		r1, ok1 := cmp(hi, p.Values[0])
		if ok1 && r1 < 0 {
			return true
		}
		r2, ok2 := cmp(lo, p.Values[1])
		return ok2 && r2 > 0
	}
	return false
}

// outside reports whether v is provably outside [lo, hi].
func outside(cmp func(statValue, any) (int, bool), lo, hi statValue, v any) bool {
	if r, ok := cmp(lo, v); ok && r > 0 {
		return true
	}
	r, ok := cmp(hi, v)
	return ok && r < 0
}

// compareStat compares a statistic with a predicate value: -1, 0 or +1 as
// s <, =, > v. ok is false when the two cannot be compared exactly.
func compareStat(k statKind, s statValue, v any) (int, bool) {
	switch k {
	case statInt:
		switch x := v.(type) {
		case int64:
			return cmpOrdered(s.i, x), true
		case int32:
			return cmpOrdered(s.i, int64(x)), true
		case int:
			return cmpOrdered(s.i, int64(x)), true
		case uint64:
			if x > math.MaxInt64 {
				return -1, true
			}
			return cmpOrdered(s.i, int64(x)), true
		case float64:
			return cmpIntFloat(s.i, x)
		}
	case statUint:
		switch x := v.(type) {
		case uint64:
			return cmpOrdered(s.u, x), true
		case int64:
			if x < 0 {
				return 1, true
			}
			return cmpOrdered(s.u, uint64(x)), true
		case int32:
			if x < 0 {
				return 1, true
			}
			return cmpOrdered(s.u, uint64(x)), true
		case int:
			if x < 0 {
				return 1, true
			}
			return cmpOrdered(s.u, uint64(x)), true
		case float64:
			if math.IsNaN(x) {
				return 0, false
			}
			if x < 0 {
				return 1, true
			}
			if s.u > 1<<53 || x >= 1<<53 {
				return 0, false
			}
			return cmpOrdered(float64(s.u), x), true
		}
	case statFloat:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		case int64:
			if x > 1<<53 || x < -(1<<53) {
				return 0, false
			}
			f = float64(x)
		case int32:
			f = float64(x)
		case int:
			f = float64(x)
		case uint64:
			if x > 1<<53 {
				return 0, false
			}
			f = float64(x)
		default:
			return 0, false
		}
		if math.IsNaN(f) {
			return 0, false
		}
		return cmpOrdered(s.f, f), true
	case statBytes:
		switch x := v.(type) {
		case string:
			return bytes.Compare(s.s, []byte(x)), true
		case []byte:
			return bytes.Compare(s.s, x), true
		}
	case statBool:
		if x, ok := v.(bool); ok {
			a, b := 0, 0
			if s.b {
				a = 1
			}
			if x {
				b = 1
			}
			return cmpOrdered(a, b), true
		}
	}
	return 0, false
}

func cmpIntFloat(i int64, f float64) (int, bool) {
	if math.IsNaN(f) {
		return 0, false
	}
	if i > 1<<53 || i < -(1<<53) {
		return 0, false
	}
	return cmpOrdered(float64(i), f), true
}

func cmpOrdered[T int | int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
