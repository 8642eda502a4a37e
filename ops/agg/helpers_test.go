package agg

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	i64  = arrow.PrimitiveTypes.Int64
	f64  = arrow.PrimitiveTypes.Float64
	utf8 = arrow.BinaryTypes.String
)

func fromJSON(t testing.TB, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	require.NoError(t, err)
	return a
}

// toDict re-encodes a utf8 array as dictionary<int32, utf8>, with the
// dictionary in first-appearance order plus unused entries when extra > 0 (to
// make the dictionary longer than the batch).
func toDict(t testing.TB, mem memory.Allocator, a arrow.Array, extra int) arrow.Array {
	t.Helper()
	s := a.(*array.String)
	dict := array.NewStringBuilder(mem)
	defer dict.Release()
	idx := array.NewInt32Builder(mem)
	defer idx.Release()
	seen := map[string]int32{}
	for i := 0; i < extra; i++ { // unused entries, sorting before and after real ones
		dict.Append(strings.Repeat("~", i+1))
		dict.Append("")
	}
	next := int32(2 * extra)
	for i := 0; i < s.Len(); i++ {
		if s.IsNull(i) {
			idx.AppendNull()
			continue
		}
		c, ok := seen[s.Value(i)]
		if !ok {
			c = next
			next++
			seen[s.Value(i)] = c
			dict.Append(s.Value(i))
		}
		idx.Append(c)
	}
	d := dict.NewArray()
	defer d.Release()
	ix := idx.NewArray()
	defer ix.Release()
	return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: utf8}, ix, d)
}

// cells returns the values of a result column as plain Go values: nil for
// NULL, int64, float64, bool, string, or the decimal's text.
func cells(a arrow.Array) []any {
	out := make([]any, a.Len())
	for i := range out {
		if a.IsNull(i) {
			continue
		}
		switch a := a.(type) {
		case *array.Int64:
			out[i] = a.Value(i)
		case *array.Int32:
			out[i] = int64(a.Value(i))
		case *array.Int16:
			out[i] = int64(a.Value(i))
		case *array.Int8:
			out[i] = int64(a.Value(i))
		case *array.Uint8:
			out[i] = int64(a.Value(i))
		case *array.Uint16:
			out[i] = int64(a.Value(i))
		case *array.Uint32:
			out[i] = int64(a.Value(i))
		case *array.Uint64:
			out[i] = int64(a.Value(i))
		case *array.Date32:
			out[i] = int64(a.Value(i))
		case *array.Timestamp:
			out[i] = int64(a.Value(i))
		case *array.Float64:
			out[i] = a.Value(i)
		case *array.Float32:
			out[i] = float64(a.Value(i))
		case *array.Boolean:
			out[i] = a.Value(i)
		case *array.String:
			out[i] = strings.Clone(a.Value(i))
		case *array.Binary:
			out[i] = string(a.Value(i))
		case *array.Decimal128:
			out[i] = a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
		default:
			out[i] = strings.Clone(a.ValueStr(i))
		}
	}
	return out
}

// requireCells compares results, floats within 1e-9 relative.
func requireCells(t testing.TB, want, got []any, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got), msgAndArgs...)
	for i := range want {
		w, wok := want[i].(float64)
		g, gok := got[i].(float64)
		if wok && gok {
			if math.IsNaN(w) && math.IsNaN(g) || w == g {
				continue
			}
			require.InDeltaf(t, w, g, 1e-9*math.Max(math.Abs(w), math.Abs(g))+1e-12, "row %d: %v", i, msgAndArgs)
			continue
		}
		require.Equalf(t, want[i], got[i], "row %d: %v", i, msgAndArgs)
	}
}

// final runs Final and returns its cells.
func final(t testing.TB, mem memory.Allocator, acc Acc) []any {
	t.Helper()
	res, err := acc.Final(mem)
	require.NoError(t, err)
	defer res.Release()
	return cells(res)
}

// mergeInto emits acc's state and merges it into dst with groups mapped by m
// (nil: identity).
func mergeInto(t testing.TB, mem memory.Allocator, f Func, acc, dst Acc, m []uint32, n int) {
	t.Helper()
	st, err := acc.State(mem)
	require.NoError(t, err)
	defer releaseAll(st)
	require.Len(t, st, len(f.State()))
	rows := 0
	for i, s := range st {
		require.Truef(t, arrow.TypeEqual(f.State()[i], s.DataType()), "state %d: %s vs %s", i, f.State()[i], s.DataType())
		rows = s.Len()
	}
	groups := make([]uint32, rows)
	for i := range groups {
		groups[i] = uint32(i)
		if m != nil {
			groups[i] = m[i]
		}
	}
	require.NoError(t, dst.Merge(groups, n, st))
}

func dec(t testing.TB, s string, scale int32) decimal128.Num {
	t.Helper()
	n, err := decimal128.FromString(s, 38, scale)
	require.NoError(t, err)
	return n
}
