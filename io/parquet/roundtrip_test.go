package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

// allTypes is a schema with every supported type, nullable, plus one
// required column and one dictionary-typed string input.
var allTypes = arrow.NewSchema([]arrow.Field{
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
	{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
	{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
	{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts_ms", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
	{Name: "ts_us", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "ts_ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
	{Name: "dec9", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}, Nullable: true},
	{Name: "dec18", Type: &arrow.Decimal128Type{Precision: 18, Scale: 3}, Nullable: true},
	{Name: "dec38", Type: &arrow.Decimal128Type{Precision: 38, Scale: 10}, Nullable: true},
	{Name: "req", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
	{Name: "ds", Type: dictStringType, Nullable: true},
}, nil)

// genRecord builds n rows of allTypes starting at row number from. Every
// nullable column has NULLs at its own period; values include extremes.
func genRecord(mem memory.Allocator, from, n int) arrow.Record {
	b := array.NewRecordBuilder(mem, allTypes)
	defer b.Release()
	isNull := func(col, row int) bool { return col < 20 && col != 20 && (row+col)%(col+3) == 0 }
	for r := from; r < from+n; r++ {
		for c, fb := range b.Fields() {
			if c != 20 && isNull(c, r) {
				fb.AppendNull()
				continue
			}
			x := int64(r)*2654435761%1000003 - 500000
			switch f := fb.(type) {
			case *array.BooleanBuilder:
				f.Append(x%3 == 0)
			case *array.Int8Builder:
				f.Append([]int8{math.MinInt8, math.MaxInt8, int8(x)}[r%3])
			case *array.Int16Builder:
				f.Append([]int16{math.MinInt16, math.MaxInt16, int16(x)}[r%3])
			case *array.Int32Builder:
				f.Append([]int32{math.MinInt32, math.MaxInt32, int32(x)}[r%3])
			case *array.Int64Builder:
				if c == 20 {
					f.Append(int64(r))
				} else {
					f.Append([]int64{math.MinInt64, math.MaxInt64, x * 1e9}[r%3])
				}
			case *array.Uint8Builder:
				f.Append([]uint8{0, math.MaxUint8, uint8(x)}[r%3])
			case *array.Uint16Builder:
				f.Append([]uint16{0, math.MaxUint16, uint16(x)}[r%3])
			case *array.Uint32Builder:
				f.Append([]uint32{0, math.MaxUint32, uint32(x)}[r%3])
			case *array.Uint64Builder:
				f.Append([]uint64{0, math.MaxUint64, uint64(x)}[r%3])
			case *array.Float32Builder:
				f.Append([]float32{float32(math.Inf(-1)), math.MaxFloat32, float32(x) / 7}[r%3])
			case *array.Float64Builder:
				f.Append([]float64{-0.5, math.Inf(1), float64(x) / 3}[r%3])
			case *array.StringBuilder:
				f.Append([]string{"", "héllo wörld", fmt.Sprintf("s%d", x%50), strings.Repeat("z", r%40)}[r%4])
			case *array.BinaryBuilder:
				f.Append([]byte{byte(r), 0, 0xff, byte(x)}[:r%5])
			case *array.Date32Builder:
				f.Append(arrow.Date32(x % 40000))
			case *array.TimestampBuilder:
				f.Append(arrow.Timestamp(x * 1_000_003))
			case *array.Decimal128Builder:
				switch c {
				case 17:
					f.Append(decimal128.FromI64(x % 999_999_999))
				case 18:
					f.Append(decimal128.FromI64(x * 1_000_000_007))
				default:
					f.Append(decimal128.New(x, uint64(r)*0x9e3779b97f4a7c15))
				}
			case *array.BinaryDictionaryBuilder:
				if err := f.AppendString(fmt.Sprintf("k%03d", x%17)); err != nil {
					panic(err)
				}
			default:
				panic(fmt.Sprintf("builder %T", fb))
			}
		}
	}
	return b.NewRecord()
}

// plainCopy returns rec's columns with dictionary columns decoded.
func plainCopy(t testing.TB, mem memory.Allocator, rec arrow.Record) []arrow.Array {
	out := make([]arrow.Array, rec.NumCols())
	for i := range out {
		out[i] = decodeDict(t, mem, rec.Column(i))
	}
	return out
}

// requireArraysEqual compares column by column with a readable message.
func requireArraysEqual(t testing.TB, names []string, want, got []arrow.Array) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for i := range want {
		require.Truef(t, array.Equal(want[i], got[i]), "column %s:\nwant %v\ngot  %v", names[i], want[i], got[i])
	}
}

func fieldNames(s *arrow.Schema) []string {
	names := make([]string, s.NumFields())
	for i := range names {
		names[i] = s.Field(i).Name
	}
	return names
}

func TestRoundTrip(t *testing.T) {
	const rows = 1200
	cases := []struct {
		name  string
		opts  WriteOptions
		batch int
	}{
		{"snappy/dict/batch=default", WriteOptions{RowGroupRows: 500}, 0},
		{"zstd/dict/batch=7", WriteOptions{Compression: "zstd", RowGroupRows: 500}, 7},
		{"gzip/plain/batch=333", WriteOptions{Compression: "gzip", RowGroupRows: 450, Plain: true}, 333},
		{"none/plain/batch=large", WriteOptions{Compression: "none", Plain: true}, 1 << 20},
		{"lz4/dict/batch=1000", WriteOptions{Compression: "lz4", RowGroupRows: 500}, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			// Written as two records so row groups span record boundaries.
			r1, r2 := genRecord(mem, 0, 700), genRecord(mem, 700, rows-700)
			path := writeFile(t, allTypes, tc.opts, r1, r2)
			want := plainCopy(t, mem, r1)
			w2 := plainCopy(t, mem, r2)
			for i := range want {
				c, err := array.Concatenate([]arrow.Array{want[i], w2[i]}, mem)
				require.NoError(t, err)
				want[i].Release()
				want[i] = c
			}
			releaseAll(w2)
			r1.Release()
			r2.Release()
			defer releaseAll(want)

			info, err := Inspect(path)
			require.NoError(t, err)
			require.Equal(t, int64(rows), info.Rows)
			wantGroups := 1
			if tc.opts.RowGroupRows > 0 {
				wantGroups = (rows + tc.opts.RowGroupRows - 1) / tc.opts.RowGroupRows
			}
			require.Len(t, info.RowGroups, wantGroups)
			for i, f := range info.Schema.Fields() {
				wt := allTypes.Field(i).Type
				if wt.ID() == arrow.DICTIONARY {
					wt = arrow.BinaryTypes.String
				}
				require.Truef(t, arrow.TypeEqual(wt, f.Type), "%s: %s vs %s", f.Name, wt, f.Type)
			}

			recs := readAll(t, path, source.ReadOptions{Mem: mem, BatchSize: tc.batch})
			for _, rec := range recs {
				for i := 0; i < int(rec.NumCols()); i++ {
					id := rec.Column(i).DataType().ID()
					require.Equal(t, id, rec.Schema().Field(i).Type.ID())
					if name := rec.Schema().Field(i).Name; name == "s" || name == "ds" {
						if tc.opts.Plain {
							require.Equal(t, arrow.STRING, id, name)
						} else {
							require.Equal(t, arrow.DICTIONARY, id, name)
						}
					}
				}
			}
			got := concat(t, mem, recs)
			defer releaseAll(got)
			requireArraysEqual(t, fieldNames(allTypes), want, got)
		})
	}
}

// TestReadUninit: the reader writes every byte of the value buffers, the
// dictionary indexes and the dictionaries it takes uncleared from a bare
// recycling allocator (AllocateUninit), whose reused buffers hold a poison
// pattern: the values read are right and the slots under NULLs are zero.
func TestReadUninit(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec := genRecord(mem, 0, 20000)
			path := writeFile(t, allTypes, WriteOptions{RowGroupRows: 8000, Plain: plain}, rec)
			want := plainCopy(t, mem, rec)
			rec.Release()
			defer releaseAll(want)

			bare := recycle.New(recycle.Options{Poison: true})
			for size := 4 << 10; size <= 1<<20; size += size / 8 {
				bare.Free(bare.AllocateUninit(size))
			}
			recs := readAll(t, path, source.ReadOptions{Mem: bare, BatchSize: 5000})
			for _, r := range recs {
				for c, col := range r.Columns() {
					fw, ok := col.DataType().(arrow.FixedWidthDataType)
					if !ok || col.DataType().ID() == arrow.BOOL || col.NullN() == 0 {
						continue
					}
					w := fw.BitWidth() / 8
					vals := col.Data().Buffers()[1].Bytes()[col.Data().Offset()*w:]
					for i := 0; i < col.Len(); i++ {
						if col.IsNull(i) {
							require.Equalf(t, make([]byte, w), vals[i*w:(i+1)*w], "column %s row %d: the slot under a NULL", r.ColumnName(c), i)
						}
					}
				}
			}
			got := concat(t, mem, recs)
			defer releaseAll(got)
			requireArraysEqual(t, fieldNames(allTypes), want, got)
		})
	}
}

func TestRoundTripSmallBatches(t *testing.T) {
	for _, batch := range []int{1, 7} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			rec := genRecord(mem, 0, 230)
			defer rec.Release()
			path := writeFile(t, allTypes, WriteOptions{RowGroupRows: 100}, rec)
			want := plainCopy(t, mem, rec)
			defer releaseAll(want)
			recs := readAll(t, path, source.ReadOptions{Mem: mem, BatchSize: batch})
			require.Len(t, recs, 2*((100+batch-1)/batch)+(30+batch-1)/batch)
			got := concat(t, mem, recs)
			defer releaseAll(got)
			requireArraysEqual(t, fieldNames(allTypes), want, got)
		})
	}
}

func TestProjection(t *testing.T) {
	cases := []struct {
		name string
		cols []string
	}{
		{"reordered subset", []string{"s", "dec38", "i64", "b"}},
		{"one column", []string{"u32"}},
		{"repeated column", []string{"i8", "i8"}},
		{"all reversed", func() []string {
			n := fieldNames(allTypes)
			for i, j := 0, len(n)-1; i < j; i, j = i+1, j-1 {
				n[i], n[j] = n[j], n[i]
			}
			return n
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			rec := genRecord(mem, 0, 500)
			defer rec.Release()
			path := writeFile(t, allTypes, WriteOptions{RowGroupRows: 200}, rec)
			all := plainCopy(t, mem, rec)
			defer releaseAll(all)
			want := make([]arrow.Array, len(tc.cols))
			for i, c := range tc.cols {
				want[i] = all[allTypes.FieldIndices(c)[0]]
			}
			var stats source.ScanStats
			recs := readAll(t, path, source.ReadOptions{Mem: mem, Columns: tc.cols, BatchSize: 128, Stats: &stats})
			require.Equal(t, tc.cols, fieldNames(recs[0].Schema()))
			got := concat(t, mem, recs)
			defer releaseAll(got)
			requireArraysEqual(t, tc.cols, want, got)

			info, err := Inspect(path)
			require.NoError(t, err)
			var wantBytes int64
			for _, rg := range info.RowGroups {
				for _, c := range tc.cols {
					wantBytes += rg.Columns[allTypes.FieldIndices(c)[0]].CompressedBytes
				}
			}
			require.Equal(t, wantBytes, stats.BytesRead)
			require.Equal(t, int64(500), stats.Rows)
			require.Equal(t, int64(3), stats.RowGroups)
		})
	}
}

func TestNoColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := genRecord(mem, 0, 250)
	defer rec.Release()
	path := writeFile(t, allTypes, WriteOptions{RowGroupRows: 100}, rec)
	var stats source.ScanStats
	recs := readAll(t, path, source.ReadOptions{Mem: mem, Columns: []string{}, BatchSize: 64, Stats: &stats})
	var n int64
	for _, r := range recs {
		require.Zero(t, r.NumCols())
		n += r.NumRows()
		r.Release()
	}
	require.Equal(t, int64(250), n)
	require.Equal(t, int64(250), stats.Rows)
	require.Zero(t, stats.BytesRead)
}

func TestEmptyFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	path := writeFile(t, allTypes, WriteOptions{})
	info, err := Inspect(path)
	require.NoError(t, err)
	require.Zero(t, info.Rows)
	require.Empty(t, info.RowGroups)
	require.Equal(t, allTypes.NumFields(), info.Schema.NumFields())
	splits := PlanSplits(path, info, 0)
	require.Len(t, splits, 1)
	require.Zero(t, splits[0].Rows)
	r, err := Open(context.Background(), splits[0], source.ReadOptions{Mem: mem})
	require.NoError(t, err)
	defer r.Close()
	require.Equal(t, allTypes.NumFields(), r.Schema().NumFields())
	require.Equal(t, arrow.STRING, r.Schema().Field(allTypes.FieldIndices("ds")[0]).Type.ID())
	_, err = r.Next(context.Background())
	require.ErrorIs(t, err, io.EOF)
}

func TestOneRowAndAllNull(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	for _, tc := range []struct{ name, json string }{
		{"one row", `[{"a": 1, "s": "x", "b": true}]`},
		{"all null", `[{"a": null, "s": null, "b": null}, {"a": null, "s": null, "b": null}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(tc.json))
			require.NoError(t, err)
			defer rec.Release()
			path := writeFile(t, schema, WriteOptions{}, rec)
			want := plainCopy(t, mem, rec)
			defer releaseAll(want)
			got := concat(t, mem, readAll(t, path, source.ReadOptions{Mem: mem}))
			defer releaseAll(got)
			requireArraysEqual(t, fieldNames(schema), want, got)
		})
	}
}

// TestRowRanges reads cuts of a file by RowOffset/RowCount, within one row
// group and across several.
func TestRowRanges(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := genRecord(mem, 0, 3000)
	defer rec.Release()
	path := writeFile(t, allTypes, WriteOptions{RowGroupRows: 1000}, rec)
	all := plainCopy(t, mem, rec)
	defer releaseAll(all)
	cases := []struct {
		groups        []int
		offset, count int64
		first         int64 // first row of the file read
	}{
		{[]int{0}, 0, 1, 0},
		{[]int{0}, 999, 1, 999},
		{[]int{1}, 123, 456, 1123},
		{[]int{0, 1, 2}, 950, 1100, 950},
		{[]int{1, 2}, 10, 1990, 1010},
		{[]int{2}, 500, 5000, 2500}, // count past the end
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v+%d:%d", tc.groups, tc.offset, tc.count), func(t *testing.T) {
			split := source.Split{Format: source.Parquet, Path: path, RowGroups: tc.groups, RowOffset: tc.offset, RowCount: tc.count}
			got := concat(t, mem, readAll(t, path, source.ReadOptions{Mem: mem, BatchSize: 300}, split))
			defer releaseAll(got)
			n := min(tc.count, 3000-tc.first)
			want := make([]arrow.Array, len(all))
			for i, a := range all {
				want[i] = array.NewSlice(a, tc.first, tc.first+n)
			}
			defer releaseAll(want)
			requireArraysEqual(t, fieldNames(allTypes), want, got)
		})
	}
}

func TestPlanSplits(t *testing.T) {
	info := &FileInfo{RowGroups: []RowGroupInfo{
		{Rows: 10, CompressedBytes: 10},
		{Rows: 10, CompressedBytes: 10},
		{Rows: 10, CompressedBytes: 10},
		{Rows: 1000, CompressedBytes: 1000}, // > 2x target: cut
		{Rows: 100, CompressedBytes: 150},   // between 1x and 2x: alone
		{Rows: 10, CompressedBytes: 10},
	}}
	splits := PlanSplits("f.parquet", info, 100)
	type cut struct {
		groups      []int
		off, cnt    int64
		rows, bytes int64
	}
	var got []cut
	for i, s := range splits {
		require.Equal(t, i, s.Index)
		require.Equal(t, source.Parquet, s.Format)
		require.Equal(t, "f.parquet", s.Path)
		got = append(got, cut{s.RowGroups, s.RowOffset, s.RowCount, s.Rows, s.Bytes})
	}
	want := []cut{{[]int{0, 1, 2}, 0, 0, 30, 30}}
	for p := int64(0); p < 10; p++ {
		want = append(want, cut{[]int{3}, p * 100, 100, 100, 100})
	}
	want = append(want, cut{[]int{4}, 0, 0, 100, 150}, cut{[]int{5}, 0, 0, 10, 10})
	require.Equal(t, want, got)
}

// TestSplitsCoverFile reads a file through PlanSplits with a small target
// (cut row groups) and requires every row exactly once, in order.
func TestSplitsCoverFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := genRecord(mem, 0, 2000)
	defer rec.Release()
	path := writeFile(t, allTypes, WriteOptions{RowGroupRows: 700}, rec)
	info, err := Inspect(path)
	require.NoError(t, err)
	splits := PlanSplits(path, info, info.RowGroups[0].CompressedBytes/5)
	require.Greater(t, len(splits), len(info.RowGroups))
	var rows int64
	for _, s := range splits {
		rows += s.Rows
	}
	require.Equal(t, int64(2000), rows)
	want := plainCopy(t, mem, rec)
	defer releaseAll(want)
	got := concat(t, mem, readAll(t, path, source.ReadOptions{Mem: mem}, splits...))
	defer releaseAll(got)
	requireArraysEqual(t, fieldNames(allTypes), want, got)
}

// TestDictionaryShared checks that records of one chunk share one
// dictionary, and that chunks whose dictionary overflows read as strings.
func TestDictionaryShared(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewStringBuilder(mem)
	for i := 0; i < 3000; i++ {
		if i%11 == 0 {
			b.AppendNull()
		} else {
			b.Append(fmt.Sprintf("v%d", i%5))
		}
	}
	col := b.NewArray()
	b.Release()
	rec := array.NewRecord(schema, []arrow.Array{col}, 3000)
	col.Release()
	defer rec.Release()
	path := writeFile(t, schema, WriteOptions{RowGroupRows: 1500}, rec)
	recs := readAll(t, path, source.ReadOptions{Mem: mem, BatchSize: 500})
	require.Len(t, recs, 6)
	var dicts []arrow.ArrayData
	for _, r := range recs {
		d, ok := r.Column(0).(*array.Dictionary)
		require.True(t, ok)
		dicts = append(dicts, d.Dictionary().Data())
	}
	for i := range dicts {
		// Records 0-2 come from row group 0, 3-5 from row group 1.
		require.Equal(t, i/3 == 0, dicts[i].Buffers()[1] == dicts[0].Buffers()[1], "record %d", i)
		require.Equal(t, i/3 == 1, dicts[i].Buffers()[1] == dicts[3].Buffers()[1], "record %d", i)
	}
	got := concat(t, mem, recs)
	defer releaseAll(got)
	requireArraysEqual(t, []string{"s"}, []arrow.Array{rec.Column(0)}, got)
}

// TestDictionaryFallback writes a chunk whose dictionary overflows (later
// pages plain) and reads it both with the encoding statistics (plain from the
// start) and without them (dictionary until the first plain page, converted).
func TestDictionaryFallback(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewStringBuilder(mem)
	const n = 40000
	for i := 0; i < n; i++ {
		if i%13 == 0 {
			b.AppendNull()
		} else {
			b.Append(fmt.Sprintf("%08d-%s", i, strings.Repeat("x", 40)))
		}
	}
	col := b.NewArray()
	b.Release()
	rec := array.NewRecord(schema, []arrow.Array{col}, n)
	col.Release()
	defer rec.Release()
	path := writeFile(t, schema, WriteOptions{DictionaryMaxBytes: 1 << 20}, rec)
	info, err := Inspect(path)
	require.NoError(t, err)
	require.Contains(t, info.RowGroups[0].Columns[0].Encodings, "PLAIN")
	require.Contains(t, info.RowGroups[0].Columns[0].Encodings, "RLE_DICTIONARY")

	for _, stats := range []bool{true, false} {
		t.Run(fmt.Sprintf("encoding_stats=%v", stats), func(t *testing.T) {
			r, err := Open(context.Background(), source.Split{Path: path, RowGroups: []int{0}}, source.ReadOptions{Mem: mem, BatchSize: 4000})
			require.NoError(t, err)
			defer r.Close()
			if !stats {
				r.(*reader).md.RowGroups[0].Columns[0].MetaData.EncodingStats = nil
			}
			var recs []arrow.Record
			dictRecs, plainRecs := 0, 0
			for {
				rec, err := r.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				if rec.Column(0).DataType().ID() == arrow.DICTIONARY {
					dictRecs++
				} else {
					plainRecs++
				}
				recs = append(recs, rec)
			}
			require.Positive(t, plainRecs)
			if stats {
				require.Zero(t, dictRecs)
			} else {
				require.Positive(t, dictRecs)
			}
			got := concat(t, mem, recs)
			defer releaseAll(got)
			requireArraysEqual(t, []string{"s"}, []arrow.Array{rec.Column(0)}, got)
		})
	}
}

func TestWriterErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	cases := []struct {
		name   string
		schema *arrow.Schema
		opts   WriteOptions
		want   string
	}{
		{"compression", allTypes, WriteOptions{Compression: "lzo"}, "unknown compression"},
		{"type", arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil), WriteOptions{}, "column l: unsupported type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWriter(io.Discard, tc.schema, tc.opts)
			require.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("schema mismatch", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
		w, err := NewWriter(io.Discard, schema, WriteOptions{})
		require.NoError(t, err)
		other := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int32}}, nil)
		rec, _, err := array.RecordFromJSON(mem, other, strings.NewReader(`[{"a": 1}]`))
		require.NoError(t, err)
		defer rec.Release()
		require.ErrorContains(t, w.Write(rec), "column a: type int32 does not match int64")
		require.NoError(t, w.Close())
	})
	t.Run("null in required column", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
		w, err := NewWriter(io.Discard, schema, WriteOptions{})
		require.NoError(t, err)
		nullable := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
		rec, _, err := array.RecordFromJSON(mem, nullable, strings.NewReader(`[{"a": null}]`))
		require.NoError(t, err)
		defer rec.Release()
		require.ErrorContains(t, w.Write(rec), "NULLs in a non-nullable column")
		require.NoError(t, w.Close())
	})
}

// TestTimestampSeconds: seconds are written as milliseconds.
func TestTimestampSeconds(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "t", Type: &arrow.TimestampType{Unit: arrow.Second}, Nullable: true}}, nil)
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"t": "2024-01-02T03:04:05Z"}, {"t": null}]`))
	require.NoError(t, err)
	defer rec.Release()
	path := writeFile(t, schema, WriteOptions{}, rec)
	got := concat(t, mem, readAll(t, path, source.ReadOptions{Mem: mem}))
	defer releaseAll(got)
	ts := got[0].(*array.Timestamp)
	require.Equal(t, arrow.Millisecond, ts.DataType().(*arrow.TimestampType).Unit)
	require.Equal(t, rec.Column(0).(*array.Timestamp).Value(0)*1000, ts.Value(0))
	require.True(t, ts.IsNull(1))
}

// TestLargeDictionaryStaysDictionary checks that a column with 10^5 distinct
// values per row group (h2o's id3) is written dictionary-only by default, so
// it is read back as dictionary arrays.
func TestLargeDictionaryStaysDictionary(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id3", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewStringBuilder(mem)
	const n = 300_000
	for i := 0; i < n; i++ {
		b.Append(fmt.Sprintf("id%010d", i%100_000))
	}
	col := b.NewArray()
	b.Release()
	rec := array.NewRecord(schema, []arrow.Array{col}, n)
	col.Release()
	defer rec.Release()
	path := writeFile(t, schema, WriteOptions{}, rec)
	r, err := Open(context.Background(), source.Split{Path: path, RowGroups: []int{0}}, source.ReadOptions{Mem: mem})
	require.NoError(t, err)
	defer r.Close()
	rows := 0
	for {
		got, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, arrow.DICTIONARY, got.Column(0).DataType().ID())
		rows += int(got.NumRows())
		got.Release()
	}
	require.Equal(t, n, rows)
}
