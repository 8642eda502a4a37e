package sink

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

func TestFormatValue(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	inf, nan := math.Inf(1), math.NaN()
	tests := []struct {
		name string
		arr  func() arrow.Array
		want []string
	}{
		{"bool", func() arrow.Array { return fromJSON(t, mem, arrow.FixedWidthTypes.Boolean, `[true, false, null]`) }, []string{"true", "false", ""}},
		{"int8", func() arrow.Array { return fromJSON(t, mem, arrow.PrimitiveTypes.Int8, `[-128, 0, null]`) }, []string{"-128", "0", ""}},
		{"uint32", func() arrow.Array { return fromJSON(t, mem, arrow.PrimitiveTypes.Uint32, `[4294967295]`) }, []string{"4294967295"}},
		{"int64_extremes", func() arrow.Array { return int64s(mem, []int64{math.MinInt64, math.MaxInt64}, nil) }, []string{"-9223372036854775808", "9223372036854775807"}},
		{"float64", func() arrow.Array {
			return floats(mem, []float64{473.93, 26, 0.1, 100, math.Copysign(0, -1), 1e20, 1.5e-7, 1e-5, 1e16, 123456789012345.6, nan, inf, -inf, 0}, []bool{true, true, true, true, true, true, true, true, true, true, true, true, true, false})
		}, []string{"473.93", "26.0", "0.1", "100.0", "-0.0", "1e+20", "1.5e-07", "0.00001", "1e+16", "123456789012345.6", "nan", "inf", "-inf", ""}},
		{"float32", func() arrow.Array {
			return floats32(mem, []float32{0.1, 3.4028235e38, 16777216}, nil)
		}, []string{"0.1", "3.4028235e+38", "16777216.0"}},
		{"utf8", func() arrow.Array { return fromJSON(t, mem, arrow.BinaryTypes.String, `["a,b", "", null, "世界"]`) }, []string{"a,b", "", "", "世界"}},
		{"binary", func() arrow.Array { return fromJSON(t, mem, arrow.BinaryTypes.Binary, `["AP8Q", "", null]`) }, []string{`\x00ff10`, `\x`, ""}},
		{"date32", func() arrow.Array {
			return fromJSON(t, mem, arrow.FixedWidthTypes.Date32, `["2022-06-01", "1970-01-01", "1969-12-31", "2000-02-29", null]`)
		}, []string{"2022-06-01", "1970-01-01", "1969-12-31", "2000-02-29", ""}},
		{"date32_far", func() arrow.Array {
			b := array.NewDate32Builder(mem)
			defer b.Release()
			b.AppendValues([]arrow.Date32{-719529, -719528, 2932897}, nil)
			return b.NewArray()
		}, []string{"-0001-12-31", "0000-01-01", "10000-01-01"}},
		{"timestamp_us", func() arrow.Array {
			return timestamps(mem, arrow.Microsecond, "", []*time.Time{tp("2022-06-01 00:00:06.180053"), tp("2022-06-01 00:00:06.18"), tp("1969-12-31 23:59:59.999999"), nil})
		}, []string{"2022-06-01 00:00:06.180053", "2022-06-01 00:00:06.18", "1969-12-31 23:59:59.999999", ""}},
		{"timestamp_s_tz", func() arrow.Array {
			return timestamps(mem, arrow.Second, "America/New_York", []*time.Time{tp("2022-06-01 12:34:56")})
		}, []string{"2022-06-01 12:34:56+00"}},
		{"timestamp_ns", func() arrow.Array {
			return timestamps(mem, arrow.Nanosecond, "", []*time.Time{tp("2022-06-01 00:00:00.000000001"), tp("2022-06-01 00:00:00.5")})
		}, []string{"2022-06-01 00:00:00.000000001", "2022-06-01 00:00:00.5"}},
		{"timestamp_ms", func() arrow.Array {
			return timestamps(mem, arrow.Millisecond, "", []*time.Time{tp("2022-06-01 00:00:00.010")})
		}, []string{"2022-06-01 00:00:00.01"}},
		{"decimal", func() arrow.Array {
			return fromJSON(t, mem, &arrow.Decimal128Type{Precision: 7, Scale: 3}, `["8946.090", "-0.005", "0", "-1", null]`)
		}, []string{"8946.090", "-0.005", "0.000", "-1.000", ""}},
		{"decimal_scale0", func() arrow.Array {
			return fromJSON(t, mem, &arrow.Decimal128Type{Precision: 5, Scale: 0}, `["12345", "-7"]`)
		}, []string{"12345", "-7"}},
		{"dictionary", func() arrow.Array {
			d, err := array.DictArrayFromJSON(mem, dictType, `[1, null, 0, 1]`, `["a", "b"]`)
			require.NoError(t, err)
			return d
		}, []string{"b", "", "a", "b"}},
		{"dictionary_int8_null_value", func() arrow.Array {
			dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
			d, err := array.DictArrayFromJSON(mem, dt, `[1, 0]`, `["a", null]`)
			require.NoError(t, err)
			return d
		}, []string{"", "a"}},
		{"empty", func() arrow.Array { return fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[]`) }, []string{}},
		{"all_null", func() arrow.Array { return fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[null, null]`) }, []string{"", ""}},
		{"unsupported_falls_back", func() arrow.Array { return fromJSON(t, mem, arrow.PrimitiveTypes.Date64, `[86400000]`) }, []string{"1970-01-02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arr := tt.arr()
			defer arr.Release()
			got := make([]string, arr.Len())
			for i := range got {
				got[i] = FormatValue(arr, i)
			}
			require.Equal(t, tt.want, got)
			require.Equal(t, "", FormatValue(arr, -1), "out of range")
			require.Equal(t, "", FormatValue(arr, arr.Len()), "out of range")
			// A slice formats the same as the rows it covers.
			if arr.Len() > 1 {
				s := array.NewSlice(arr, 1, int64(arr.Len()))
				defer s.Release()
				for i := 0; i < s.Len(); i++ {
					require.Equal(t, tt.want[i+1], FormatValue(s, i))
				}
			}
		})
	}
}

// TestDatesAndTimestamps checks the date and timestamp text against package
// time over a wide range of values.
func TestDatesAndTimestamps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	t.Run("dates", func(t *testing.T) {
		for k := 0; k < 5000; k++ {
			days := r.Int64N(2932896+719528) - 719528 // 0000-01-01 .. 9999-12-31
			want := time.Unix(days*86400, 0).UTC().Format("2006-01-02")
			require.Equal(t, want, string(appendDate(nil, days)), "days %d", days)
		}
	})
	units := []struct {
		unit   arrow.TimeUnit
		perSec int64
		layout string
	}{
		{arrow.Second, 1, "2006-01-02 15:04:05"},
		{arrow.Millisecond, 1e3, "2006-01-02 15:04:05.999"},
		{arrow.Microsecond, 1e6, "2006-01-02 15:04:05.999999"},
		{arrow.Nanosecond, 1e9, "2006-01-02 15:04:05.999999999"},
	}
	for _, u := range units {
		t.Run(u.unit.String(), func(t *testing.T) {
			var dc dateCache
			for k := 0; k < 5000; k++ {
				sec := r.Int64N(4e9) - 2e9
				frac := int64(0)
				if k%3 != 0 {
					frac = r.Int64N(u.perSec)
				}
				v := sec*u.perSec + frac
				tm := time.Unix(sec, frac*(1e9/u.perSec)).UTC()
				require.Equal(t, tm.Format(u.layout), string(appendTimestamp(nil, v, u.unit, false, &dc)), "value %d", v)
				require.Equal(t, tm.Format(u.layout)+"+00", string(appendTimestamp(nil, v, u.unit, true, &dc)), "value %d", v)
			}
		})
	}
}

// TestDecimals checks decimals against math/big over random 128-bit values.
func TestDecimals(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, scale := range []int32{0, 1, 2, 3, 10, 38} {
		t.Run(strconv.Itoa(int(scale)), func(t *testing.T) {
			for k := 0; k < 1500; k++ {
				var n decimal128.Num
				switch k % 3 {
				case 0:
					n = decimal128.FromI64(r.Int64N(2000) - 1000)
				case 1:
					n = decimal128.FromI64(int64(r.Uint64()))
				default:
					n = decimal128.New(int64(r.Uint64())>>int(r.IntN(64)), r.Uint64())
				}
				want := new(big.Rat).SetFrac(n.BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(int(scale))
				require.Equal(t, want, string(appendDecimal(nil, n, scale)))
			}
		})
	}
	t.Run("negative_scale", func(t *testing.T) {
		require.Equal(t, "-1200", string(appendDecimal(nil, decimal128.FromI64(-12), -2)))
	})
	t.Run("min_int64", func(t *testing.T) {
		require.Equal(t, "-922337203685477580.8", string(appendDecimal(nil, decimal128.FromI64(math.MinInt64), 1)))
	})
}

// TestFloats checks that float text parses back to the same value.
func TestFloats(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for k := 0; k < 15000; k++ {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := string(appendFloat(nil, f, 64))
		back, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, s)
		require.Equal(t, f, back, s)
		f32 := float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(30)-15)))
		s = string(appendFloat(nil, float64(f32), 32))
		back, err = strconv.ParseFloat(s, 32)
		require.NoError(t, err, s)
		require.Equal(t, f32, float32(back), s)
		require.True(t, strings.ContainsAny(s, ".e"), s)
	}
}

func TestCSVQuoting(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	tests := []struct {
		name string
		in   string // JSON value of a utf8 column
		csv  string
		tsv  string
	}{
		{"plain", `"abc"`, "abc", "abc"},
		{"null", `null`, "", ""},
		{"empty", `""`, `""`, `""`},
		{"comma", `"a,b"`, `"a,b"`, "a,b"},
		{"quote", `"say \"hi\""`, `"say ""hi"""`, `"say ""hi"""`},
		{"newline", `"a\nb"`, "\"a\nb\"", "\"a\nb\""},
		{"cr", `"a\rb"`, "\"a\rb\"", "\"a\rb\""},
		{"tab", `"a\tb"`, "a\tb", "\"a\tb\""},
		{"leading_space", `" a"`, `" a"`, " a"},
		{"trailing_space", `"a "`, `"a "`, "a "},
		{"inner_space", `"a b"`, "a b", "a b"},
		{"unicode", `"héllo, 世界"`, `"héllo, 世界"`, "héllo, 世界"},
		{"only_quote", `"\""`, `""""`, `""""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
			s := fromJSON(t, mem, arrow.BinaryTypes.String, "["+tt.in+"]")
			n := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, "[7]")
			rec := array.NewRecord(schema, []arrow.Array{s, n}, 1)
			s.Release()
			n.Release()
			defer rec.Release()
			gotCSV := string(writeAll(t, CSV, schema, Options{NoHeader: true}, rec))
			require.Equal(t, tt.csv+",7\n", gotCSV)
			require.Equal(t, tt.tsv+"\t7\n", string(writeAll(t, TSV, schema, Options{NoHeader: true}, rec)))
			// encoding/csv reads back the value (NULL as an empty field).
			fields, err := csv.NewReader(strings.NewReader(gotCSV)).Read()
			require.NoError(t, err)
			require.Equal(t, []string{FormatValue(rec.Column(0), 0), "7"}, fields)
		})
	}
	t.Run("header_names", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{{Name: "a,b", Type: arrow.PrimitiveTypes.Int64}, {Name: `q"`, Type: arrow.PrimitiveTypes.Int64}, {Name: "", Type: arrow.PrimitiveTypes.Int64}}, nil)
		a := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, "[1]")
		rec := array.NewRecord(schema, []arrow.Array{a, a, a}, 1)
		a.Release()
		defer rec.Release()
		require.Equal(t, "\"a,b\",\"q\"\"\",\"\"\n1,1,1\n", string(writeAll(t, CSV, schema, Options{}, rec)))
	})
}

// TestCSVReadBack reads the all-types CSV golden output with encoding/csv and
// compares every field with FormatValue.
func TestCSVReadBack(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	for _, format := range []string{CSV, TSV} {
		t.Run(format, func(t *testing.T) {
			out := writeAll(t, format, schema, Options{}, rec)
			r := csv.NewReader(bytes.NewReader(out))
			if format == TSV {
				r.Comma = '\t'
			}
			rows, err := r.ReadAll()
			require.NoError(t, err)
			require.Len(t, rows, int(rec.NumRows())+1)
			for j, f := range schema.Fields() {
				require.Equal(t, f.Name, rows[0][j])
				for i := 0; i < int(rec.NumRows()); i++ {
					require.Equal(t, FormatValue(rec.Column(j), i), rows[i+1][j], fmt.Sprintf("row %d column %s", i, f.Name))
				}
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	mem := memory.NewGoAllocator()
	const n = 1 << 16
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "d", Type: dictType},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 12, Scale: 3}},
	}, nil)
	ib := array.NewInt64Builder(mem)
	fb := array.NewFloat64Builder(mem)
	sb := array.NewStringBuilder(mem)
	tb := array.NewTimestampBuilder(mem, arrow.FixedWidthTypes.Timestamp_us.(*arrow.TimestampType))
	db := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 12, Scale: 3})
	for i := 0; i < n; i++ {
		ib.Append(int64(i) * 7919)
		fb.Append(float64(i) / 7)
		sb.Append("id" + strconv.Itoa(i%1000))
		tb.Append(arrow.Timestamp(1654041600000000 + int64(i)*1234567))
		db.Append(decimal128.FromI64(int64(i) * 1234))
	}
	dict, _ := array.DictArrayFromJSON(mem, dictType, `[0, 1, 2, 1]`, `["id001", "id002", "id003"]`)
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i % 3)
	}
	ixb := array.NewInt32Builder(mem)
	ixb.AppendValues(idx, nil)
	ix := ixb.NewArray()
	d := array.NewDictionaryArray(dictType, ix, dict.(*array.Dictionary).Dictionary())
	cols := []arrow.Array{ib.NewArray(), fb.NewArray(), sb.NewArray(), d, tb.NewArray(), db.NewArray()}
	rec := array.NewRecord(schema, cols, n)
	logical := arrow.NewSchema([]arrow.Field{schema.Field(0), schema.Field(1), schema.Field(2), {Name: "d", Type: arrow.BinaryTypes.String}, schema.Field(4), schema.Field(5)}, nil)
	for _, format := range []string{CSV, JSONL, Table, Arrows} {
		b.Run(format, func(b *testing.B) {
			w, err := NewWriter(format, io.Discard, logical, Options{})
			require.NoError(b, err)
			b.SetBytes(n) // "bytes" are rows: MB/s reads as million rows/s
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				require.NoError(b, w.Write(rec))
			}
			require.NoError(b, w.Close())
		})
	}
}
