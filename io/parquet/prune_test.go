package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/parquet-go/parquet-go/format"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

// pruneSchema: 4 row groups of 100 rows, id = 0..399; sorted columns derive
// from id (see pruneFile).
var pruneSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "u", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
	{Name: "nul", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "c", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "req", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
}, nil)

// nulNull reports whether column nul is NULL at id: all of row group 0, none
// of row group 1, every even id after.
func nulNull(id int64) bool { return id < 100 || (id >= 200 && id%2 == 0) }

func pruneFile(t *testing.T, mem memory.Allocator) string {
	b := array.NewRecordBuilder(mem, pruneSchema)
	defer b.Release()
	for i := int64(0); i < 400; i++ {
		b.Field(0).(*array.Int64Builder).Append(i)
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("n%06d", i))
		b.Field(2).(*array.Date32Builder).Append(arrow.Date32(18000 + i))
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(i * 1e6))
		b.Field(4).(*array.Float64Builder).Append(float64(i) * 0.5)
		b.Field(5).(*array.Uint32Builder).Append(uint32(i))
		if nulNull(i) {
			b.Field(6).AppendNull()
		} else {
			b.Field(6).(*array.Int64Builder).Append(i)
		}
		b.Field(7).(*array.Int32Builder).Append(int32(i / 100))
		b.Field(8).(*array.BooleanBuilder).Append(i >= 200)
		b.Field(9).(*array.Int64Builder).Append(i)
		b.Field(10).(*array.Decimal128Builder).Append(decimalOf(i))
	}
	rec := b.NewRecord()
	defer rec.Release()
	return writeFile(t, pruneSchema, WriteOptions{RowGroupRows: 100}, rec)
}

func TestPrune(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	path := pruneFile(t, mem)
	type pred = source.Pred
	cases := []struct {
		name   string
		preds  []pred
		pruned []int               // row groups skipped
		keep   func(id int64) bool // the filter, evaluated per row
	}{
		{"eq", []pred{{Column: "id", Op: source.OpEq, Values: []any{int64(150)}}}, []int{0, 2, 3}, func(id int64) bool { return id == 150 }},
		{"eq float value", []pred{{Column: "id", Op: source.OpEq, Values: []any{float64(150)}}}, []int{0, 2, 3}, func(id int64) bool { return id == 150 }},
		{"eq absent", []pred{{Column: "id", Op: source.OpEq, Values: []any{int64(1000)}}}, []int{0, 1, 2, 3}, func(id int64) bool { return false }},
		{"ne constant", []pred{{Column: "c", Op: source.OpNe, Values: []any{int64(2)}}}, []int{2}, func(id int64) bool { return id/100 != 2 }},
		{"lt", []pred{{Column: "id", Op: source.OpLt, Values: []any{int64(100)}}}, []int{1, 2, 3}, func(id int64) bool { return id < 100 }},
		{"lt fraction", []pred{{Column: "id", Op: source.OpLt, Values: []any{99.5}}}, []int{1, 2, 3}, func(id int64) bool { return float64(id) < 99.5 }},
		{"le", []pred{{Column: "id", Op: source.OpLe, Values: []any{int64(100)}}}, []int{2, 3}, func(id int64) bool { return id <= 100 }},
		{"gt", []pred{{Column: "id", Op: source.OpGt, Values: []any{int64(299)}}}, []int{0, 1, 2}, func(id int64) bool { return id > 299 }},
		{"ge", []pred{{Column: "id", Op: source.OpGe, Values: []any{int64(299)}}}, []int{0, 1}, func(id int64) bool { return id >= 299 }},
		{"between", []pred{{Column: "id", Op: source.OpBetween, Values: []any{int64(120), int64(250)}}}, []int{0, 3}, func(id int64) bool { return id >= 120 && id <= 250 }},
		{"in", []pred{{Column: "id", Op: source.OpIn, Values: []any{int64(5), int64(350)}}}, []int{1, 2}, func(id int64) bool { return id == 5 || id == 350 }},
		{"string eq", []pred{{Column: "name", Op: source.OpEq, Values: []any{"n000150"}}}, []int{0, 2, 3}, func(id int64) bool { return id == 150 }},
		{"string lt", []pred{{Column: "name", Op: source.OpLt, Values: []any{"n000100"}}}, []int{1, 2, 3}, func(id int64) bool { return id < 100 }},
		{"string ge", []pred{{Column: "name", Op: source.OpGe, Values: []any{"n0002"}}}, []int{0, 1}, func(id int64) bool { return id >= 200 }},
		{"date between", []pred{{Column: "d", Op: source.OpBetween, Values: []any{int32(18210), int32(18220)}}}, []int{0, 1, 3}, func(id int64) bool { return id >= 210 && id <= 220 }},
		{"timestamp gt", []pred{{Column: "ts", Op: source.OpGt, Values: []any{int64(349e6)}}}, []int{0, 1, 2}, func(id int64) bool { return id > 349 }},
		{"float le", []pred{{Column: "f", Op: source.OpLe, Values: []any{49.5}}}, []int{1, 2, 3}, func(id int64) bool { return float64(id)*0.5 <= 49.5 }},
		{"uint gt", []pred{{Column: "u", Op: source.OpGt, Values: []any{uint64(250)}}}, []int{0, 1}, func(id int64) bool { return id > 250 }},
		{"uint ge negative", []pred{{Column: "u", Op: source.OpGe, Values: []any{int64(-1)}}}, nil, func(id int64) bool { return true }},
		{"bool eq", []pred{{Column: "flag", Op: source.OpEq, Values: []any{true}}}, []int{0, 1}, func(id int64) bool { return id >= 200 }},
		{"is null", []pred{{Column: "nul", Op: source.OpIsNull}}, []int{1}, nulNull},
		{"is not null", []pred{{Column: "nul", Op: source.OpNotNull}}, []int{0}, func(id int64) bool { return !nulNull(id) }},
		{"is null required", []pred{{Column: "req", Op: source.OpIsNull}}, []int{0, 1, 2, 3}, func(id int64) bool { return false }},
		{"compare on all-null group", []pred{{Column: "nul", Op: source.OpGe, Values: []any{int64(0)}}}, []int{0}, func(id int64) bool { return !nulNull(id) }},
		{"conjunction", []pred{
			{Column: "id", Op: source.OpGe, Values: []any{int64(100)}},
			{Column: "name", Op: source.OpLt, Values: []any{"n000300"}},
		}, []int{0, 3}, func(id int64) bool { return id >= 100 && id < 300 }},
		{"unknown column", []pred{{Column: "zzz", Op: source.OpEq, Values: []any{int64(1)}}}, nil, func(id int64) bool { return true }},
		{"decimal never prunes", []pred{{Column: "dec", Op: source.OpLt, Values: []any{int64(-1)}}}, nil, func(id int64) bool { return true }},
		{"NaN never prunes", []pred{{Column: "f", Op: source.OpGt, Values: []any{math.NaN()}}}, nil, func(id int64) bool { return false }},
		{"type mismatch never prunes", []pred{{Column: "id", Op: source.OpEq, Values: []any{"150"}}}, nil, func(id int64) bool { return true }},
		{"no values never prunes", []pred{{Column: "id", Op: source.OpEq}}, nil, func(id int64) bool { return true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, cols := mustFooter(t, path)
			for g := range md.RowGroups {
				got := pruneRowGroup(&md.RowGroups[g], bindPreds(cols, tc.preds))
				require.Equal(t, contains(tc.pruned, g), got, "row group %d", g)
			}

			var stats source.ScanStats
			split := source.Split{Format: source.Parquet, Path: path, RowGroups: []int{0, 1, 2, 3}}
			r, err := Open(context.Background(), split, source.ReadOptions{Mem: mem, Preds: tc.preds, Columns: []string{"id"}, Stats: &stats})
			require.NoError(t, err)
			defer r.Close()
			var kept []int64
			var read int64
			for {
				rec, err := r.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				ids := rec.Column(0).(*array.Int64)
				for i := 0; i < ids.Len(); i++ {
					if tc.keep(ids.Value(i)) {
						kept = append(kept, ids.Value(i))
					}
				}
				read += rec.NumRows()
				rec.Release()
			}
			var want []int64
			for id := int64(0); id < 400; id++ {
				if tc.keep(id) {
					want = append(want, id)
				}
			}
			require.Equal(t, want, kept)
			require.Equal(t, int64(4), stats.RowGroups)
			require.Equal(t, int64(len(tc.pruned)), stats.RowGroupsPruned)
			require.Equal(t, int64(100*(4-len(tc.pruned))), read)
			require.Equal(t, read, stats.Rows)
		})
	}
}

// mustFooter reads a file's footer and columns.
func mustFooter(t *testing.T, path string) (*format.FileMetaData, []column) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	pf, _, err := openFile(path, f)
	require.NoError(t, err)
	cols, _, err := fileSchema(pf.Metadata())
	require.NoError(t, err)
	return pf.Metadata(), cols
}

func decimalOf(i int64) decimal128.Num { return decimal128.FromI64(i * 100) }

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
