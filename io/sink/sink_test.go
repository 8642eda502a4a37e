package sink

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./io/sink -update")
	require.Equal(t, string(want), string(got))
}

func fromJSON(t testing.TB, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	arr, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	require.NoError(t, err)
	return arr
}

// floats builds a float64 array; NaN in valid positions is kept, null marks NULLs.
func floats(mem memory.Allocator, vals []float64, valid []bool) arrow.Array {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

// int64s and uint64s build exact 64-bit arrays (FromJSON goes through float64).
func int64s(mem memory.Allocator, vals []int64, valid []bool) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

func uint64s(mem memory.Allocator, vals []uint64, valid []bool) arrow.Array {
	b := array.NewUint64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

func floats32(mem memory.Allocator, vals []float32, valid []bool) arrow.Array {
	b := array.NewFloat32Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

// timestamps builds a timestamp array from times (nil is NULL).
func timestamps(mem memory.Allocator, unit arrow.TimeUnit, tz string, ts []*time.Time) arrow.Array {
	b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: unit, TimeZone: tz})
	defer b.Release()
	for _, v := range ts {
		if v == nil {
			b.AppendNull()
			continue
		}
		n := v.UnixNano()
		switch unit {
		case arrow.Second:
			n = v.Unix()
		case arrow.Millisecond:
			n = v.UnixMilli()
		case arrow.Microsecond:
			n = v.UnixMicro()
		}
		b.Append(arrow.Timestamp(n))
	}
	return b.NewArray()
}

func tp(s string) *time.Time {
	v, err := time.Parse("2006-01-02 15:04:05.999999999", s)
	if err != nil {
		panic(err)
	}
	return &v
}

var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// allRecord returns a 5-row record with a column of every supported type
// (row 1 all NULL, a dictionary column among them) and its logical schema.
func allRecord(t testing.TB, mem memory.Allocator) (arrow.Record, *arrow.Schema) {
	t.Helper()
	nan := math.NaN()
	valid := []bool{true, false, true, true, true}
	type col struct {
		name string
		arr  arrow.Array
	}
	dict, err := array.DictArrayFromJSON(mem, dictType, `[0, null, 1, 2, 0]`, `["id016", "héllo 世界|pipe", "x"]`)
	require.NoError(t, err)
	cols := []col{
		{"b", fromJSON(t, mem, arrow.FixedWidthTypes.Boolean, `[true, null, false, true, false]`)},
		{"i8", fromJSON(t, mem, arrow.PrimitiveTypes.Int8, `[1, null, -128, 127, 0]`)},
		{"i16", fromJSON(t, mem, arrow.PrimitiveTypes.Int16, `[2, null, -32768, 32767, 0]`)},
		{"i32", fromJSON(t, mem, arrow.PrimitiveTypes.Int32, `[3, null, -2147483648, 2147483647, 0]`)},
		{"i64", int64s(mem, []int64{4, 0, math.MinInt64, math.MaxInt64, 0}, valid)},
		{"u8", fromJSON(t, mem, arrow.PrimitiveTypes.Uint8, `[5, null, 0, 255, 1]`)},
		{"u16", fromJSON(t, mem, arrow.PrimitiveTypes.Uint16, `[6, null, 0, 65535, 1]`)},
		{"u32", fromJSON(t, mem, arrow.PrimitiveTypes.Uint32, `[7, null, 0, 4294967295, 1]`)},
		{"u64", uint64s(mem, []uint64{8, 0, 0, math.MaxUint64, 1}, valid)},
		{"f32", floats32(mem, []float32{0.1, 0, float32(nan), float32(math.Inf(-1)), 3.5}, valid)},
		{"f64", floats(mem, []float64{473.93, 0, 26, 1e20, 1.5e-7}, valid)},
		{"s", fromJSON(t, mem, arrow.BinaryTypes.String, `["plain", null, "comma, \"quote\"\nnewline", " lead and tail ", ""]`)},
		{"bin", fromJSON(t, mem, arrow.BinaryTypes.Binary, `["AP8=", null, "", "YWJj", "Cg=="]`)},
		{"d", fromJSON(t, mem, arrow.FixedWidthTypes.Date32, `["2022-06-01", null, "1969-12-31", "0001-01-01", "9999-12-31"]`)},
		{"ts_s", timestamps(mem, arrow.Second, "", []*time.Time{tp("2022-06-01 00:00:06"), nil, tp("1969-12-31 23:59:59"), tp("1900-01-01 12:00:00"), tp("2000-02-29 23:59:59")})},
		{"ts_ms", timestamps(mem, arrow.Millisecond, "", []*time.Time{tp("2022-06-01 00:00:06.18"), nil, tp("1969-12-31 23:59:59.999"), tp("2022-06-01 00:00:00"), tp("2022-06-01 00:00:00.001")})},
		{"ts_us", timestamps(mem, arrow.Microsecond, "", []*time.Time{tp("2022-06-01 00:00:06.180053"), nil, tp("1969-12-31 23:59:59.999999"), tp("2022-06-01 00:00:00"), tp("2022-06-01 00:00:00.000001")})},
		{"ts_ns", timestamps(mem, arrow.Nanosecond, "", []*time.Time{tp("2022-06-01 00:00:06.123456789"), nil, tp("1969-12-31 23:59:59.9"), tp("2022-06-01 00:00:00"), tp("2022-06-01 00:00:00.00000001")})},
		{"tstz", timestamps(mem, arrow.Microsecond, "UTC", []*time.Time{tp("2022-06-01 00:00:06.18"), nil, tp("2022-06-01 00:00:00"), tp("2022-06-01 00:00:00"), tp("2022-06-01 00:00:00")})},
		{"dec", fromJSON(t, mem, &arrow.Decimal128Type{Precision: 10, Scale: 3}, `["8946.090", null, "-0.005", "0.000", "-12345.678"]`)},
		{"dec38", fromJSON(t, mem, &arrow.Decimal128Type{Precision: 38, Scale: 2}, `["123456789012345678901234567890123456.78", null, "-999999999999999999999999999999999999.99", "0.01", "-0.10"]`)},
		{"dict", dict},
	}
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.arr.DataType(), Nullable: true}
		arrs[i] = c.arr
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, 5)
	for _, a := range arrs {
		a.Release()
	}
	logical := make([]arrow.Field, len(fields))
	copy(logical, fields)
	logical[len(logical)-1].Type = arrow.BinaryTypes.String
	return rec, arrow.NewSchema(logical, nil)
}

// writeAll writes recs with a new writer of format and returns the output.
func writeAll(t *testing.T, format string, schema *arrow.Schema, o Options, recs ...arrow.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(format, &buf, schema, o)
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "second Close")
	require.ErrorIs(t, w.Write(recs[0]), ErrClosed)
	return buf.Bytes()
}

// halves slices rec into [0, k) and [k, n).
func halves(rec arrow.Record, k int64) (arrow.Record, arrow.Record) {
	return rec.NewSlice(0, k), rec.NewSlice(k, rec.NumRows())
}

func TestGolden(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	// Written in two batches so that state across Write calls is exercised.
	a, b := halves(rec, 2)
	defer a.Release()
	defer b.Release()

	tests := []struct {
		name   string
		format string
		o      Options
	}{
		{"all.csv", CSV, Options{}},
		{"all_noheader.csv", CSV, Options{NoHeader: true}},
		{"all.tsv", TSV, Options{}},
		{"all.json", JSON, Options{}},
		{"all.jsonl", JSONL, Options{}},
		{"all.md", Markdown, Options{}},
		{"all.table", Table, Options{}},
		{"all_maxrows2.table", Table, Options{MaxRows: 2}},
		{"all_width80.table", Table, Options{Width: 80}},
		{"all_color.table", Table, Options{Color: true, MaxRows: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, writeAll(t, tt.format, schema, tt.o, a, b))
		})
	}
}

func TestOneBatchEqualsMany(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	var parts []arrow.Record
	for i := int64(0); i < rec.NumRows(); i++ {
		parts = append(parts, rec.NewSlice(i, i+1))
	}
	empty := rec.NewSlice(0, 0)
	parts = append(parts, empty)
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	for _, format := range []string{Table, CSV, TSV, JSON, JSONL, Markdown} {
		t.Run(format, func(t *testing.T) {
			o := Options{MaxRows: 4}
			require.Equal(t, string(writeAll(t, format, schema, o, rec)), string(writeAll(t, format, schema, o, parts...)))
		})
	}
}

// TestParallelFormats: CSV, TSV, JSON and JSONL of records cut into slices
// formatted on several goroutines are byte for byte those of one
// goroutine, for every type, NULLs and values that need quoting included,
// over two records (the second continuing the first's JSON array).
func TestParallelFormats(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	// Many copies of every row, so that a record has many slices.
	cols := make([]arrow.Array, rec.NumCols())
	for j := range cols {
		parts := make([]arrow.Array, 50)
		for k := range parts {
			parts[k] = rec.Column(j)
		}
		c, err := array.Concatenate(parts, mem)
		require.NoError(t, err)
		cols[j] = c
	}
	big := array.NewRecord(rec.Schema(), cols, 50*rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	defer big.Release()
	require.Greater(t, big.NumRows(), int64(2*7*3), "enough rows for three slices")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for _, format := range []string{CSV, TSV, JSON, JSONL} {
		t.Run(format, func(t *testing.T) {
			old := parallelRows
			defer func() { parallelRows = old }()
			parallelRows = 1 << 30
			want := writeAll(t, format, schema, Options{}, big, big)
			parallelRows = 7
			require.Equal(t, string(want), string(writeAll(t, format, schema, Options{}, big, big)))
		})
	}
}

func TestEmpty(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	small := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "name", Type: arrow.BinaryTypes.String}}, nil)
	tests := []struct {
		format string
		want   string
	}{
		{CSV, "id,name\n"},
		{TSV, "id\tname\n"},
		{JSON, "[]\n"},
		{JSONL, ""},
		{Markdown, "| id | name |\n| ---: | --- |\n"},
		{Table, "┌────────┬─────────┐\n│   id   │  name   │\n│ bigint │ varchar │\n└────────┴─────────┘\n0 rows\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/no_write", func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(tt.format, &buf, small, Options{})
			require.NoError(t, err)
			require.NoError(t, w.Close())
			require.Equal(t, tt.want, buf.String())
		})
		t.Run(tt.format+"/zero_rows", func(t *testing.T) {
			b0 := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[]`)
			defer b0.Release()
			b1 := fromJSON(t, mem, arrow.BinaryTypes.String, `[]`)
			defer b1.Release()
			r := array.NewRecord(small, []arrow.Array{b0, b1}, 0)
			defer r.Release()
			require.Equal(t, tt.want, string(writeAll(t, tt.format, small, Options{}, r)))
		})
	}
	t.Run("every_type", func(t *testing.T) {
		empty := rec.NewSlice(0, 0)
		defer empty.Release()
		header := make([]string, schema.NumFields())
		for i, f := range schema.Fields() {
			header[i] = f.Name
		}
		require.Equal(t, strings.Join(header, ",")+"\n", string(writeAll(t, CSV, schema, Options{}, empty)))
		require.True(t, strings.HasSuffix(string(writeAll(t, Table, schema, Options{}, empty)), "┘\n0 rows\n"))
	})
	t.Run("zero_columns", func(t *testing.T) {
		none := arrow.NewSchema(nil, nil)
		r := array.NewRecord(none, nil, 3)
		defer r.Release()
		require.Equal(t, "3 rows\n", string(writeAll(t, Table, none, Options{}, r)))
		require.Equal(t, "[\n{},\n{},\n{}\n]\n", string(writeAll(t, JSON, none, Options{}, r)))
	})
}

func TestFormatFromPath(t *testing.T) {
	tests := []struct {
		path string
		want string
		ok   bool
	}{
		{"out.csv", CSV, true},
		{"/a/b/OUT.CSV", CSV, true},
		{"x.tsv", TSV, true},
		{"x.json", JSON, true},
		{"x.jsonl", JSONL, true},
		{"x.ndjson", JSONL, true},
		{"x.md", Markdown, true},
		{"x.parquet", Parquet, true},
		{"x.arrow", Arrow, true},
		{"x.feather", Arrow, true},
		{"x.ipc", Arrow, true},
		{"x.arrows", Arrows, true},
		{"x.txt", "", false},
		{"noext", "", false},
		{"dir.csv/file", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := FormatFromPath(tt.path)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestBadInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	ints := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	strs := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	x := fromJSON(t, mem, arrow.PrimitiveTypes.Int32, `[1, 2]`)
	defer x.Release()
	wrongType := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32}}, nil), []arrow.Array{x}, 2)
	defer wrongType.Release()
	two := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32}, {Name: "y", Type: arrow.PrimitiveTypes.Int32}}, nil), []arrow.Array{x, x}, 2)
	defer two.Release()
	idx := fromJSON(t, mem, arrow.PrimitiveTypes.Int32, `[0, 5]`)
	defer idx.Release()
	vals := fromJSON(t, mem, arrow.BinaryTypes.String, `["a"]`)
	defer vals.Release()
	outOfRange := array.NewDictionaryArray(dictType, idx, vals)
	defer outOfRange.Release()
	dictRec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "s", Type: dictType, Nullable: true}}, nil), []arrow.Array{outOfRange}, 2)
	defer dictRec.Release()
	one := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1]`)
	okRec := array.NewRecord(ints, []arrow.Array{one}, 1)
	one.Release()
	defer okRec.Release()
	list := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)

	t.Run("unknown_format", func(t *testing.T) {
		_, err := NewWriter("xml", &bytes.Buffer{}, ints, Options{})
		require.ErrorContains(t, err, `unknown format "xml"`)
	})
	t.Run("nil_writer", func(t *testing.T) {
		_, err := NewWriter(CSV, nil, ints, Options{})
		require.Error(t, err)
	})
	t.Run("nil_schema", func(t *testing.T) {
		_, err := NewWriter(CSV, &bytes.Buffer{}, nil, Options{})
		require.Error(t, err)
	})
	for _, format := range []string{Table, CSV, TSV, JSON, JSONL, Markdown} {
		t.Run(format+"/unsupported_type", func(t *testing.T) {
			_, err := NewWriter(format, &bytes.Buffer{}, list, Options{})
			require.ErrorContains(t, err, `column 0 "l": unsupported type`)
		})
	}
	for _, format := range Formats {
		t.Run(format+"/wrong_type", func(t *testing.T) {
			w, err := NewWriter(format, &bytes.Buffer{}, ints, Options{Mem: mem})
			require.NoError(t, err)
			require.ErrorContains(t, w.Write(wrongType), `column 0 "x": record has type int32, schema says int64`)
			require.ErrorContains(t, w.Write(two), "record has 2 columns, schema has 1")
			require.ErrorContains(t, w.Write(nil), "nil record")
			require.NoError(t, w.Close())
		})
		t.Run(format+"/dictionary_index_out_of_range", func(t *testing.T) {
			w, err := NewWriter(format, &bytes.Buffer{}, strs, Options{Mem: mem})
			require.NoError(t, err)
			err = w.Write(dictRec)
			require.Error(t, err)
			require.ErrorContains(t, err, `column 0 "s": row 1: dictionary index 5 out of range [0, 1)`)
			_ = w.Close()
		})
		t.Run(format+"/write_error", func(t *testing.T) {
			w, err := NewWriter(format, &failWriter{}, ints, Options{Mem: mem})
			if err != nil {
				require.ErrorContains(t, err, "disk full")
				return
			}
			werr := w.Write(okRec)
			cerr := w.Close()
			require.Error(t, errors.Join(werr, cerr))
			require.ErrorContains(t, errors.Join(werr, cerr), "disk full")
		})
	}
}
