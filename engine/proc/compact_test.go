package proc

import (
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine/recycle"
)

// TestCompactDicts: a record whose dictionary is far larger than its rows
// gets a dictionary of the entries it uses, with the same type and values
// row by row (NULL rows and NULL entries included); others are kept.
func TestCompactDicts(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: dt, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	// record has the given codes (-1: NULL row) over a dictionary of size
	// entries "e0", "e1", ..., entry 7 NULL.
	record := func(size int, codes []int32) arrow.Record {
		db := array.NewStringBuilder(mem)
		defer db.Release()
		for i := range size {
			if i == 7 {
				db.AppendNull()
			} else {
				db.Append("e" + strconv.Itoa(i))
			}
		}
		dict := db.NewArray()
		defer dict.Release()
		ib := array.NewInt32Builder(mem)
		defer ib.Release()
		vb := array.NewInt64Builder(mem)
		defer vb.Release()
		for i, c := range codes {
			if c < 0 {
				ib.AppendNull()
			} else {
				ib.Append(c)
			}
			vb.Append(int64(i))
		}
		idx, v := ib.NewArray(), vb.NewArray()
		defer idx.Release()
		defer v.Release()
		s := array.NewDictionaryArray(dt, idx, dict)
		defer s.Release()
		return array.NewRecord(schema, []arrow.Array{s, v}, int64(len(codes)))
	}
	values := func(rec arrow.Record) []string {
		var out []string
		for i := 0; i < int(rec.NumRows()); i++ {
			out = append(out, rec.Column(0).ValueStr(i)+"|"+rec.Column(1).ValueStr(i))
		}
		return out
	}

	big := record(5000, []int32{4321, 7, -1, 12, 4321, 0})
	want := values(big)
	big.Retain()
	got := compactDicts(big, mem)
	require.NotSame(t, big, got)
	require.Equal(t, want, values(got))
	require.True(t, got.Schema().Equal(schema))
	require.Equal(t, 4, got.Column(0).(*array.Dictionary).Dictionary().Len(), "entries 4321, 7, 12, 0")
	require.Same(t, big.Column(1), got.Column(1), "other columns are kept")
	big.Release()
	got.Release()

	// Small dictionaries, or ones the rows use enough of, are kept.
	for _, rec := range []arrow.Record{record(1000, []int32{5, 6}), record(5000, make([]int32, 2000))} {
		require.Same(t, rec, compactDicts(rec, mem))
		rec.Release()
	}
}
