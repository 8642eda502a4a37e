// Package check holds test helpers shared by dfq's engine tests: the
// partition-invariance harness and result comparison.
package check

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// Value is one cell of a canonical row: a float (F, when IsFloat) or text.
type Value struct {
	IsFloat bool
	F       float64
	S       string
	Null    bool
}

func (v Value) String() string {
	switch {
	case v.Null:
		return "NULL"
	case v.IsFloat:
		return fmt.Sprintf("%.10g", v.F)
	}
	return v.S
}

// Row is one result row.
type Row []Value

func (r Row) key() string {
	parts := make([]string, len(r))
	for i, v := range r {
		if v.IsFloat && !v.Null {
			parts[i] = "~"
		} else {
			parts[i] = v.String()
		}
	}
	return strings.Join(parts, "|")
}

// Rows converts a table to rows.
func Rows(t require.TestingT, tbl arrow.Table) []Row {
	var out []Row
	tr := array.NewTableReader(tbl, 1<<20)
	defer tr.Release()
	for tr.Next() {
		out = append(out, RecordRows(t, tr.Record())...)
	}
	return out
}

// RecordRows converts a record to rows.
func RecordRows(t require.TestingT, rec arrow.Record) []Row {
	n := int(rec.NumRows())
	out := make([]Row, n)
	for i := range out {
		out[i] = make(Row, rec.NumCols())
	}
	for c, col := range rec.Columns() {
		for i := 0; i < n; i++ {
			out[i][c] = cell(col, i)
		}
	}
	return out
}

func cell(col arrow.Array, i int) Value {
	if col.IsNull(i) {
		return Value{Null: true, IsFloat: isFloat(col.DataType())}
	}
	switch a := col.(type) {
	case *array.Float64:
		return Value{IsFloat: true, F: a.Value(i)}
	case *array.Float32:
		return Value{IsFloat: true, F: float64(a.Value(i))}
	case *array.Dictionary:
		return cell(a.Dictionary(), a.GetValueIndex(i))
	}
	return Value{S: strings.Clone(col.ValueStr(i))}
}

func isFloat(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT64 || t.ID() == arrow.FLOAT32
}

// Sorted returns rows in a canonical order (by their non-float cells, then
// floats), for comparing multisets.
func Sorted(rows []Row) []Row {
	type keyed struct {
		key string
		row Row
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		ks[i] = keyed{r.key(), r}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		for i := range a.row {
			if a.row[i].IsFloat && b.row[i].IsFloat {
				if c := cmp.Compare(a.row[i].F, b.row[i].F); c != 0 {
					return c
				}
			}
		}
		return 0
	})
	out := make([]Row, len(ks))
	for i, k := range ks {
		out[i] = k.row
	}
	return out
}

// Equal requires two row lists to be equal in order, floats within rel
// relative tolerance (and 1e-9 absolute).
func Equal(t require.TestingT, want, got []Row, rel float64, msg ...any) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	if len(want) != len(got) {
		require.Failf(t, "row count", "want %d rows, got %d %v", len(want), len(got), msg)
	}
	for i := range want {
		if len(want[i]) != len(got[i]) {
			require.Failf(t, "row width", "row %d: want %d columns, got %d %v", i, len(want[i]), len(got[i]), msg)
		}
		for c := range want[i] {
			w, g := want[i][c], got[i][c]
			if w.IsFloat && g.IsFloat && !w.Null && !g.Null {
				if !Close(w.F, g.F, rel) {
					require.Failf(t, "float mismatch", "row %d col %d: want %v got %v (%v)\nwant row %v\ngot row  %v", i, c, w.F, g.F, msg, want[i], got[i])
				}
				continue
			}
			if w.Null != g.Null || w.S != g.S || (w.IsFloat && g.IsFloat && w.String() != g.String()) {
				require.Failf(t, "value mismatch", "row %d col %d: want %v got %v (%v)\nwant row %v\ngot row  %v", i, c, w, g, msg, want[i], got[i])
			}
		}
	}
}

// Close reports whether a and b agree within rel relative tolerance (or 1e-9
// absolute, for values near zero); NaNs agree with NaNs.
func Close(a, b, rel float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) || math.Abs(a-b) <= 1e-9
}

// Mem returns a checked allocator; call the returned function at the end of
// the test (it asserts nothing is left allocated).
func Mem(t interface {
	require.TestingT
	Helper()
}) (*memory.CheckedAllocator, func()) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	return mem, func() {
		t.Helper()
		if n := mem.CurrentAlloc(); n != 0 {
			require.Failf(t, "leaked Arrow memory", "%d bytes still allocated", n)
		}
	}
}

// Background is context.Background, for brevity in tests.
var Background = context.Background

// EqualMultiset requires got to hold the same rows as want in any order,
// floats within rel relative tolerance. Rows are matched by their non-float
// cells (a hash lookup, so it is fast on millions of rows), then floats.
func EqualMultiset(t require.TestingT, want, got []Row, rel float64, msg ...any) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	if len(want) != len(got) {
		require.Failf(t, "row count", "want %d rows, got %d %v", len(want), len(got), msg)
	}
	byKey := make(map[string][]Row, len(want))
	for _, r := range want {
		k := r.key()
		byKey[k] = append(byKey[k], r)
	}
	for _, g := range got {
		k := g.key()
		cands := byKey[k]
		found := -1
		for ci, w := range cands {
			if rowClose(w, g, rel) {
				found = ci
				break
			}
		}
		if found < 0 {
			near := "no row with these non-float values"
			if len(cands) > 0 {
				near = fmt.Sprintf("nearest candidate %v", cands[0])
			}
			require.Failf(t, "unexpected row", "got row %v not in want: %s %v", g, near, msg)
		}
		cands[found] = cands[len(cands)-1]
		byKey[k] = cands[:len(cands)-1]
	}
}

func rowClose(w, g Row, rel float64) bool {
	if len(w) != len(g) {
		return false
	}
	for c := range w {
		a, b := w[c], g[c]
		if a.Null != b.Null {
			return false
		}
		if a.IsFloat && b.IsFloat {
			if !a.Null && !Close(a.F, b.F, rel) {
				return false
			}
			continue
		}
		if a.S != b.S || a.IsFloat != b.IsFloat {
			return false
		}
	}
	return true
}
