package group

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

func fromJSON(t testing.TB, mem memory.Allocator, dt arrow.DataType, s string) arrow.Array {
	t.Helper()
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(s))
	require.NoError(t, err)
	return a
}

var dictUtf8 = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// toDict re-encodes a plain utf8 or binary array as a dictionary array whose
// dictionary lists the distinct values in a shuffled order, plus unused
// entries and, when nullEntry, a NULL entry that some NULL rows point at.
func toDict(t testing.TB, mem memory.Allocator, a arrow.Array, rng *rand.Rand, nullEntry bool) arrow.Array {
	t.Helper()
	var vals []string
	seen := map[string]bool{}
	for i := 0; i < a.Len(); i++ {
		if a.IsValid(i) {
			s := string(bytesAt(a, i))
			if !seen[s] {
				seen[s] = true
				vals = append(vals, s)
			}
		}
	}
	vals = append(vals, fmt.Sprintf("unused-%d", rng.IntN(1000)), "")
	if seen[""] {
		vals = vals[:len(vals)-1]
	}
	rng.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
	pos := map[string]int{}
	for i, v := range vals {
		if _, ok := pos[v]; !ok {
			pos[v] = i
		}
	}
	nullAt := -1
	if nullEntry {
		nullAt = len(vals)
	}
	db := array.NewBinaryBuilder(mem, a.DataType().(arrow.BinaryDataType))
	defer db.Release()
	for _, v := range vals {
		db.Append([]byte(v))
	}
	if nullEntry {
		db.AppendNull()
	}
	dict := db.NewArray()
	defer dict.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	for i := 0; i < a.Len(); i++ {
		switch {
		case a.IsValid(i):
			ib.Append(int32(pos[string(bytesAt(a, i))]))
		case nullAt >= 0 && i%2 == 0:
			ib.Append(int32(nullAt))
		default:
			ib.AppendNull()
		}
	}
	idx := ib.NewArray()
	defer idx.Release()
	return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: a.DataType()}, idx, dict)
}

func bytesAt(a arrow.Array, i int) []byte {
	switch a := a.(type) {
	case *array.String:
		return []byte(a.Value(i))
	case *array.Binary:
		return a.Value(i)
	}
	panic(fmt.Sprintf("bytesAt: %T", a))
}

// refKey is an independent rendering of the key of row i: equal keys (in the
// grouping sense) render equal.
func refKey(a arrow.Array, i int) string {
	if d, ok := a.(*array.Dictionary); ok {
		if d.IsNull(i) {
			return "<null>"
		}
		var code int
		switch x := d.Indices().(type) {
		case *array.Int32:
			code = int(x.Value(i))
		case *array.Int8:
			code = int(x.Value(i))
		case *array.Uint16:
			code = int(x.Value(i))
		case *array.Int64:
			code = int(x.Value(i))
		default:
			panic(fmt.Sprintf("refKey: indices %T", x))
		}
		return refKey(d.Dictionary(), code)
	}
	if a.IsNull(i) {
		return "<null>"
	}
	switch a := a.(type) {
	case *array.Float64:
		return fmtFloat(a.Value(i))
	case *array.Float32:
		return fmtFloat(float64(a.Value(i)))
	case *array.String, *array.Binary:
		b := bytesAt(a, i)
		return "s" + strconv.Itoa(len(b)) + ":" + string(b)
	case *array.Timestamp:
		return "ts" + strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Decimal128:
		v := a.Value(i)
		return "dec" + strconv.FormatInt(v.HighBits(), 10) + ":" + strconv.FormatUint(v.LowBits(), 10)
	}
	return a.ValueStr(i)
}

func fmtFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case f == 0:
		return "0"
	}
	return fmt.Sprint(f)
}

// refGroups assigns ids with a map, in first-seen order.
type refGroups struct {
	ids  map[string]uint32
	keys []string
}

func (r *refGroups) add(cols []arrow.Array) []uint32 {
	if r.ids == nil {
		r.ids = map[string]uint32{}
	}
	rows := 0
	if len(cols) > 0 {
		rows = cols[0].Len()
	}
	out := make([]uint32, rows)
	var sb strings.Builder
	for i := range out {
		sb.Reset()
		for j, c := range cols {
			if j > 0 {
				sb.WriteByte(0x1f)
			}
			sb.WriteString(refKey(c, i))
		}
		k := sb.String()
		g, ok := r.ids[k]
		if !ok {
			g = uint32(len(r.keys))
			r.ids[k] = g
			r.keys = append(r.keys, k)
		}
		out[i] = g
	}
	return out
}

// addAll feeds the batches to tbl and returns the ids of all rows.
func addAll(t testing.TB, tbl *Table, batches [][]arrow.Array) []uint32 {
	t.Helper()
	var all []uint32
	for _, b := range batches {
		rows := 0
		if len(b) > 0 {
			rows = b[0].Len()
		}
		ids := make([]uint32, rows)
		require.NoError(t, tbl.Add(b, ids))
		all = append(all, ids...)
	}
	return all
}

func refAll(batches [][]arrow.Array) ([]uint32, []string) {
	var r refGroups
	var all []uint32
	for _, b := range batches {
		all = append(all, r.add(b)...)
	}
	return all, r.keys
}

// keyStrings renders the Keys of tbl as refKey tuples, group by group.
func keyStrings(t testing.TB, tbl *Table, mem memory.Allocator) []string {
	t.Helper()
	keys, err := tbl.Keys(mem)
	require.NoError(t, err)
	defer func() {
		for _, k := range keys {
			k.Release()
		}
	}()
	for _, k := range keys {
		require.Equal(t, tbl.Len(), k.Len())
		_, isDict := k.(*array.Dictionary)
		require.False(t, isDict)
	}
	out := make([]string, tbl.Len())
	parts := make([]string, len(keys))
	for g := range out {
		for j, k := range keys {
			parts[j] = refKey(k, g)
		}
		out[g] = strings.Join(parts, "\x1f")
	}
	return out
}

func releaseAll(batches [][]arrow.Array) {
	for _, b := range batches {
		for _, a := range b {
			a.Release()
		}
	}
}

// checkAgainstRef runs batches through a new Table of the given types and
// compares ids, Len and Keys with the reference; it returns the table.
func checkAgainstRef(t *testing.T, mem memory.Allocator, types []arrow.DataType, batches [][]arrow.Array) *Table {
	t.Helper()
	tbl, err := New(types, mem)
	require.NoError(t, err)
	got := addAll(t, tbl, batches)
	want, wantKeys := refAll(batches)
	require.Equal(t, want, got)
	require.Equal(t, len(wantKeys), tbl.Len())
	if gotKeys := keyStrings(t, tbl, mem); len(wantKeys) > 0 || len(gotKeys) > 0 {
		require.Equal(t, wantKeys, gotKeys)
	}
	return tbl
}
