package group

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

var keyTypeCases = []struct {
	name string
	typ  arrow.DataType
	json []string // batches
}{
	{"bool", arrow.FixedWidthTypes.Boolean, []string{`[true, false, null, true]`, `[null, false, false]`}},
	{"int8", arrow.PrimitiveTypes.Int8, []string{`[-128, 127, -1, null, -128, 0]`, `[0, -1, null, 5]`}},
	{"int16", arrow.PrimitiveTypes.Int16, []string{`[-32768, 32767, -1, null, -1, 0]`}},
	{"int32", arrow.PrimitiveTypes.Int32, []string{`[-2147483648, 2147483647, -1, null, 2147483647]`}},
	{"int64", arrow.PrimitiveTypes.Int64, []string{`[-9223372036854775808, 9223372036854775807, 0, null, 0, -1]`, `[-1, 1, null]`}},
	{"int64_dense_then_wide", arrow.PrimitiveTypes.Int64, []string{`[1, 2, null, 3, 1]`, `[100, -50, 2]`, `[-5, 1000000000000, 2, null]`, `[3, 1000000000000, 7]`}},
	{"int32_dense_rebase", arrow.PrimitiveTypes.Int32, []string{`[100]`, `[50, 100, null]`, `[200, 50]`, `[-1000, 200, 131000]`, `[-1000, 2000000]`}},
	{"uint64_wrap", arrow.PrimitiveTypes.Uint64, []string{`[9223372036854775807, 9223372036854775808, 1]`, `[9223372036854775808, 18446744073709551615]`}},
	{"uint8", arrow.PrimitiveTypes.Uint8, []string{`[255, 0, 255, null, 1]`}},
	{"uint16", arrow.PrimitiveTypes.Uint16, []string{`[65535, 0, 65535, null]`}},
	{"uint32", arrow.PrimitiveTypes.Uint32, []string{`[4294967295, 0, 4294967295, null, 7]`}},
	{"uint64", arrow.PrimitiveTypes.Uint64, []string{`[18446744073709551615, 0, 18446744073709551615, null]`}},
	{"float32", arrow.PrimitiveTypes.Float32, []string{`[0.0, -0.0, "NaN", 1.5, null, "Inf", "-Inf"]`, `[-0.0, 1.5, "NaN"]`}},
	{"float64", arrow.PrimitiveTypes.Float64, []string{`[0.0, -0.0, "NaN", 1.5, null, "Inf", -1e300]`, `[null, -0.0, "NaN"]`}},
	{"utf8", arrow.BinaryTypes.String, []string{`["a", "", "b", null, "a", "héllo", ""]`, `["b", null, "a long string of more than sixteen bytes", "x"]`}},
	{"binary", arrow.BinaryTypes.Binary, []string{`["AAE=", "", null, "AAE=", "AA=="]`}},
	{"date32", arrow.FixedWidthTypes.Date32, []string{`[0, -1, 19000, null, 0]`}},
	{"timestamp_s", &arrow.TimestampType{Unit: arrow.Second}, []string{`[0, 1, null, 0, -5]`}},
	{"timestamp_ms_tz", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, []string{`[0, 1, null, 0]`}},
	{"timestamp_us", &arrow.TimestampType{Unit: arrow.Microsecond}, []string{`[1700000000000000, null, 1700000000000000, 1]`}},
	{"timestamp_ns_tz", &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "Europe/Paris"}, []string{`[1, 2, 1, null, null]`}},
	{"decimal128", &arrow.Decimal128Type{Precision: 20, Scale: 2}, []string{`["1.00", "-1.00", "123456789012345678.99", null, "1.00", "0.00"]`, `["-1.00", null, "0.00"]`}},
	{"all_null", arrow.PrimitiveTypes.Int64, []string{`[null, null]`, `[null]`}},
	{"all_null_utf8", arrow.BinaryTypes.String, []string{`[null, null, null]`}},
	{"one_row", arrow.PrimitiveTypes.Int32, []string{`[42]`}},
	{"empty", arrow.PrimitiveTypes.Int64, []string{`[]`}},
	{"empty_then_rows", arrow.BinaryTypes.String, []string{`[]`, `["q", null]`, `[]`}},
}

func TestKeyTypes(t *testing.T) {
	for _, tc := range keyTypeCases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			var batches [][]arrow.Array
			for _, s := range tc.json {
				batches = append(batches, []arrow.Array{fromJSON(t, mem, tc.typ, s)})
			}
			defer releaseAll(batches)
			tbl := checkAgainstRef(t, mem, []arrow.DataType{tc.typ}, batches)
			defer tbl.Release()
			if tbl.Len() > 0 {
				require.Positive(t, tbl.Bytes())
			}
			// The same values as the second key of a two-key table (packed path):
			// the groups must be the same, since the first key is constant.
			var two [][]arrow.Array
			for _, b := range batches {
				c := fromJSON(t, mem, arrow.PrimitiveTypes.Int8, "["+strings.TrimSuffix(strings.Repeat("1,", b[0].Len()), ",")+"]")
				two = append(two, []arrow.Array{c, b[0]})
			}
			defer func() {
				for _, b := range two {
					b[0].Release()
				}
			}()
			tbl2 := checkAgainstRef(t, mem, []arrow.DataType{arrow.PrimitiveTypes.Int8, tc.typ}, two)
			defer tbl2.Release()
			require.Equal(t, tbl.Len(), tbl2.Len())
		})
	}
}

func TestSpecialValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	tests := []struct {
		name string
		typ  arrow.DataType
		json string
		want []uint32
	}{
		{"strings", arrow.BinaryTypes.String, `["a", "b", "a", null, "b", null, ""]`, []uint32{0, 1, 0, 2, 1, 2, 3}},
		{"floats", arrow.PrimitiveTypes.Float64, `[0.0, -0.0, "NaN", "NaN", null, 1.0]`, []uint32{0, 0, 1, 1, 2, 3}},
		{"float32", arrow.PrimitiveTypes.Float32, `[-0.0, 0.0, "NaN", "NaN", null]`, []uint32{0, 0, 1, 1, 2}},
		{"null_first", arrow.PrimitiveTypes.Int64, `[null, 5, null, 5, 6]`, []uint32{0, 1, 0, 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := fromJSON(t, mem, tc.typ, tc.json)
			defer a.Release()
			tbl, err := New([]arrow.DataType{tc.typ}, mem)
			require.NoError(t, err)
			defer tbl.Release()
			ids := make([]uint32, a.Len())
			require.NoError(t, tbl.Add([]arrow.Array{a}, ids))
			require.Equal(t, tc.want, ids)
		})
	}
	t.Run("nan_payloads", func(t *testing.T) {
		nans := []float64{math.NaN(), math.Copysign(math.NaN(), -1), math.Float64frombits(0x7ff0000000000001), math.Float64frombits(0xfff8000000000abc)}
		b64 := array.NewFloat64Builder(mem)
		defer b64.Release()
		b32 := array.NewFloat32Builder(mem)
		defer b32.Release()
		for _, f := range nans {
			b64.Append(f)
			b32.Append(float32(f))
		}
		b64.Append(math.Copysign(0, -1))
		b32.Append(float32(math.Copysign(0, -1)))
		b64.Append(0)
		b32.Append(0)
		for _, a := range []arrow.Array{b64.NewArray(), b32.NewArray()} {
			for _, types := range [][]arrow.DataType{{a.DataType()}, {a.DataType(), a.DataType()}} {
				tbl, err := New(types, mem)
				require.NoError(t, err)
				ids := make([]uint32, a.Len())
				keys := []arrow.Array{a, a}[:len(types)]
				require.NoError(t, tbl.Add(keys, ids))
				require.Equal(t, []uint32{0, 0, 0, 0, 1, 1}, ids)
				out, err := tbl.Keys(mem)
				require.NoError(t, err)
				require.Equal(t, "NaN", refKey(out[0], 0))
				require.Equal(t, "0", refKey(out[0], 1))
				for _, o := range out {
					o.Release()
				}
				tbl.Release()
			}
			a.Release()
		}
	})
	t.Run("multi_nulls", func(t *testing.T) {
		a := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[null, null, 1, null, 0, 0]`)
		defer a.Release()
		b := fromJSON(t, mem, arrow.BinaryTypes.String, `["1", "2", "1", "1", null, ""]`)
		defer b.Release()
		tbl, err := New([]arrow.DataType{a.DataType(), b.DataType()}, mem)
		require.NoError(t, err)
		defer tbl.Release()
		ids := make([]uint32, 6)
		require.NoError(t, tbl.Add([]arrow.Array{a, b}, ids))
		require.Equal(t, []uint32{0, 1, 2, 0, 3, 4}, ids)
	})
}

func TestPlainVsDictionary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name      string
		typ       arrow.DataType
		json      []string
		nullEntry bool
	}{
		{"utf8", arrow.BinaryTypes.String, []string{`["x", "y", null, "x", "", "zz"]`, `["y", "new", null]`}, false},
		{"utf8_null_entry", arrow.BinaryTypes.String, []string{`[null, "x", null, "y", null]`, `["y", null]`}, true},
		{"binary", arrow.BinaryTypes.Binary, []string{`["AAE=", null, "AA==", "AAE="]`}, true},
		{"all_null", arrow.BinaryTypes.String, []string{`[null, null]`}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			var plain, dict [][]arrow.Array
			for _, s := range tc.json {
				a := fromJSON(t, mem, tc.typ, s)
				plain = append(plain, []arrow.Array{a})
				dict = append(dict, []arrow.Array{toDict(t, mem, a, rng, tc.nullEntry)})
			}
			defer releaseAll(plain)
			defer releaseAll(dict)
			for _, shape := range []string{"single", "multi"} {
				types := []arrow.DataType{tc.typ}
				p, d := plain, dict
				if shape == "multi" {
					types = []arrow.DataType{tc.typ, tc.typ}
					p, d = twice(plain), twice(dict)
				}
				tp := checkAgainstRef(t, mem, types, p)
				td := checkAgainstRef(t, mem, types, d)
				require.Equal(t, groupHashes(tp), groupHashes(td))
				require.Equal(t, tp.Len(), td.Len())
				for g := range tp.Len() {
					require.Equal(t, tp.Hash(uint32(g)), td.Hash(uint32(g)), "group %d", g)
				}
				// dictionary declared type stands for its value type
				tdd, err := New([]arrow.DataType{&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: tc.typ}}, mem)
				require.NoError(t, err)
				tdd.Release()
				tp.Release()
				td.Release()
			}
		})
	}
}

func twice(bs [][]arrow.Array) [][]arrow.Array {
	out := make([][]arrow.Array, len(bs))
	for i, b := range bs {
		out[i] = []arrow.Array{b[0], b[0]}
	}
	return out
}

// groupHashes lists the groups' hashes, to compare tables group by group.
func groupHashes(tbl *Table) []uint64 {
	out := make([]uint64, tbl.Len())
	for g := range out {
		out[g] = tbl.Hash(uint32(g))
	}
	return out
}

func TestDictionaryBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	jsons := []string{`["a", "b", "c", null]`, `["c", "d", "a"]`, `["e", null, "b", "a"]`, `["a", "a"]`}
	var plain [][]arrow.Array
	for _, s := range jsons {
		plain = append(plain, []arrow.Array{fromJSON(t, mem, arrow.BinaryTypes.String, s)})
	}
	defer releaseAll(plain)
	shared := toDict(t, mem, plain[0][0], rng, true)
	defer shared.Release()
	sliced := array.NewSlice(shared, 1, 3)
	defer sliced.Release()
	tests := []struct {
		name    string
		batches func() [][]arrow.Array
	}{
		{"different_dicts", func() [][]arrow.Array {
			var out [][]arrow.Array
			for _, b := range plain {
				out = append(out, []arrow.Array{toDict(t, mem, b[0], rng, false)})
			}
			return out
		}},
		{"same_dict_repeated", func() [][]arrow.Array {
			var out [][]arrow.Array
			for range 3 {
				shared.Retain()
				out = append(out, []arrow.Array{shared})
			}
			return out
		}},
		{"mixed_plain_dict_sliced", func() [][]arrow.Array {
			plain[1][0].Retain()
			shared.Retain()
			sliced.Retain()
			return [][]arrow.Array{{shared}, {plain[1][0]}, {sliced}, {toDict(t, mem, plain[2][0], rng, true)}, {shared}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			batches := tc.batches()
			defer releaseAll(batches)
			for _, shape := range []string{"single", "multi", "multi_int"} {
				types := []arrow.DataType{arrow.BinaryTypes.String}
				bs := batches
				switch shape {
				case "multi":
					types = append(types, arrow.BinaryTypes.String)
					bs = twice(batches)
				case "multi_int":
					types = append(types, arrow.PrimitiveTypes.Int64)
					bs = nil
					for _, b := range batches {
						c := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, "["+strings.TrimSuffix(strings.Repeat("7,", b[0].Len()), ",")+"]")
						bs = append(bs, []arrow.Array{b[0], c})
					}
				}
				tbl := checkAgainstRef(t, mem, types, bs)
				tbl.Release()
				if shape == "multi_int" {
					for _, b := range bs {
						b[1].Release()
					}
				}
			}
		})
	}
}

func TestMultiKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(5, 6))
	str := arrow.BinaryTypes.String
	i64 := arrow.PrimitiveTypes.Int64
	f64 := arrow.PrimitiveTypes.Float64
	dec := &arrow.Decimal128Type{Precision: 10, Scale: 1}
	tests := []struct {
		name  string
		types []arrow.DataType
		cols  []string // JSON per column, one batch
		dict  []bool   // which columns to dictionary-encode
	}{
		{"null_int_pairs", []arrow.DataType{i64, i64}, []string{`[null, null, null, 1, 1]`, `[1, 2, 1, null, null]`}, nil},
		{"two_dict", []arrow.DataType{str, str}, []string{`["a", "b", "a", null, "a", null]`, `["x", "x", "x", "y", null, null]`}, []bool{true, true}},
		{"dict_and_int", []arrow.DataType{str, i64}, []string{`["a", "b", "a", null, "a"]`, `[1, 1, 1, null, 2]`}, []bool{true, false}},
		{"three_dict", []arrow.DataType{str, str, str}, []string{`["a", "b", "a", "a"]`, `["x", "x", "x", null]`, `["p", "q", "p", "p"]`}, []bool{true, true, true}},
		{"plain_strings", []arrow.DataType{str, str}, []string{`["a", "ab", "a", ""]`, `["bc", "c", "bc", "abc"]`}, nil},
		{"float_decimal_bool", []arrow.DataType{f64, dec, arrow.FixedWidthTypes.Boolean}, []string{`[-0.0, 0.0, "NaN", null]`, `["1.5", "1.5", null, null]`, `[true, true, null, null]`}, nil},
		{"six_mixed", []arrow.DataType{str, str, str, i64, i64, i64}, []string{`["a","a","b","a"]`, `["x","x","x","x"]`, `["p","p","p","p"]`, `[1,1,1,1]`, `[2,2,2,null]`, `[3,3,3,3]`}, []bool{true, true, false}},
		{"one_row", []arrow.DataType{str, i64}, []string{`["z"]`, `[null]`}, nil},
		{"all_null", []arrow.DataType{str, i64}, []string{`[null, null]`, `[null, null]`}, []bool{true}},
	}
	// Keys gathers all key columns in one pass when they are small enough,
	// else one column at a time: both ways.
	defer func(v int) { gatherAllBytes = v }(gatherAllBytes)
	for _, gather := range []int{gatherAllBytes, 0} {
		gatherAllBytes = gather
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/gather=%d", tc.name, gather), func(t *testing.T) {
				testMultiKey(t, mem, rng, tc.types, tc.cols, tc.dict)
			})
		}
	}
}

// testMultiKey checks a table over key columns of the given types (JSON
// per column, dict saying which to dictionary-encode) against the reference,
// plain and dictionary batches alike.
func testMultiKey(t *testing.T, mem memory.Allocator, rng *rand.Rand, types []arrow.DataType, cols []string, dict []bool) {
	var plain, mixed []arrow.Array
	for j, s := range cols {
		a := fromJSON(t, mem, types[j], s)
		plain = append(plain, a)
		if j < len(dict) && dict[j] {
			mixed = append(mixed, toDict(t, mem, a, rng, j%2 == 0))
		} else {
			a.Retain()
			mixed = append(mixed, a)
		}
	}
	defer releaseAll([][]arrow.Array{plain, mixed})
	tp := checkAgainstRef(t, mem, types, [][]arrow.Array{plain, plain})
	defer tp.Release()
	tm := checkAgainstRef(t, mem, types, [][]arrow.Array{mixed, plain, mixed})
	defer tm.Release()
	require.Equal(t, groupHashes(tp), groupHashes(tm))
}

func TestDictionaryIndexTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dict := fromJSON(t, mem, arrow.BinaryTypes.String, `["a", "b", null, "c"]`)
	defer dict.Release()
	for _, it := range []arrow.DataType{arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Uint16, arrow.PrimitiveTypes.Int64} {
		t.Run(it.String(), func(t *testing.T) {
			idx := fromJSON(t, mem, it, `[0, 1, 2, null, 3, 0, 1]`)
			defer idx.Release()
			d := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: it, ValueType: arrow.BinaryTypes.String}, idx, dict)
			defer d.Release()
			tbl := checkAgainstRef(t, mem, []arrow.DataType{arrow.BinaryTypes.String}, [][]arrow.Array{{d}})
			require.Equal(t, 4, tbl.Len())
			tbl.Release()
			tbl = checkAgainstRef(t, mem, []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.String}, [][]arrow.Array{{d, d}})
			tbl.Release()
		})
	}
}

func TestBuckets(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		name  string
		types []arrow.DataType
	}{
		{"int64", []arrow.DataType{arrow.PrimitiveTypes.Int64}},
		{"utf8", []arrow.DataType{arrow.BinaryTypes.String}},
		{"utf8_int32", []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32}},
		{"none", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const rows = 2000
			cols := randomColumns(t, mem, rng, tc.types, rows, 300)
			defer releaseAll([][]arrow.Array{cols})
			// the second table sees the rows reversed, the strings as dictionaries
			perm := rng.Perm(rows)
			var rev []arrow.Array
			for j, c := range cols {
				r := takeRows(t, mem, c, perm)
				if tc.types[j].ID() == arrow.STRING {
					d := toDict(t, mem, r, rng, false)
					r.Release()
					r = d
				}
				rev = append(rev, r)
			}
			defer releaseAll([][]arrow.Array{rev})
			t1, err := New(tc.types, mem)
			require.NoError(t, err)
			defer t1.Release()
			t2, err := New(tc.types, mem)
			require.NoError(t, err)
			defer t2.Release()
			ids1 := make([]uint32, rows)
			ids2 := make([]uint32, rows)
			require.NoError(t, t1.Add(cols, ids1))
			require.NoError(t, t2.Add(rev, ids2))
			require.Equal(t, t1.Len(), t2.Len())
			for _, p := range []int{1, 2, 7, 64} {
				b1, b2 := t1.Buckets(p), t2.Buckets(p)
				require.Len(t, b1, p)
				seen := make([]int, t1.Len())
				for b, gs := range b1 {
					for _, g := range gs {
						seen[g]++
						require.Equal(t, uint64(b), t1.Hash(g)%uint64(p))
					}
				}
				for g, n := range seen {
					require.Equal(t, 1, n, "group %d", g)
				}
				bucket2 := make([]int, t2.Len())
				for b, gs := range b2 {
					for _, g := range gs {
						bucket2[g] = b
					}
				}
				for i := range rows {
					g1, g2 := ids1[perm[i]], ids2[i]
					require.Equal(t, t1.Hash(g1), t2.Hash(g2))
					require.Equal(t, int(t1.Hash(g1)%uint64(p)), bucket2[g2])
				}
			}
			require.Nil(t, t1.Buckets(0))
		})
	}
}

// TestHashStable pins a few hashes: they must be the same in every process
// and run, since partial aggregates from different processes are merged by
// bucket. A change of these values is a change of the wire contract.
func TestHashStable(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	tests := []struct {
		name  string
		types []arrow.DataType
		cols  []string
		want  []uint64
	}{
		{"int64", []arrow.DataType{arrow.PrimitiveTypes.Int64}, []string{`[0, 1, -1, null]`}, []uint64{0xfa2865e1821fc9d9, 0x37c522e27c2bff99, 0x1fdc998870dae9f9, 0xcebd4cfbbbfe7863}},
		{"utf8", []arrow.DataType{arrow.BinaryTypes.String}, []string{`["", "id001", "a much longer string that spans several words!", null, "` + strings.Repeat("0123456789", 13) + `"]`}, []uint64{0x9c9cbcb0efcab51d, 0x51c52144d36d78a7, 0x9c8c19674c35c13, 0xcebd4cfbbbfe7863, 0x59ca72929490f1c3}},
		{"multi", []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64}, []string{`["id001", null]`, `[1, 1]`}, []uint64{0x89ad165bc308a810, 0xaca7a55e3aea7572}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cols []arrow.Array
			for j, s := range tc.cols {
				cols = append(cols, fromJSON(t, mem, tc.types[j], s))
			}
			defer releaseAll([][]arrow.Array{cols})
			tbl, err := New(tc.types, mem)
			require.NoError(t, err)
			defer tbl.Release()
			ids := make([]uint32, cols[0].Len())
			require.NoError(t, tbl.Add(cols, ids))
			require.Equal(t, tc.want, groupHashes(tbl))
		})
	}
}

func TestZeroKeyColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	tbl, err := New(nil, mem)
	require.NoError(t, err)
	defer tbl.Release()
	require.NoError(t, tbl.Add(nil, nil))
	require.Equal(t, 0, tbl.Len())
	ids := []uint32{9, 9, 9}
	require.NoError(t, tbl.Add(nil, ids))
	require.Equal(t, []uint32{0, 0, 0}, ids)
	require.Equal(t, 1, tbl.Len())
	keys, err := tbl.Keys(mem)
	require.NoError(t, err)
	require.Empty(t, keys)
	other, err := New([]arrow.DataType{}, mem)
	require.NoError(t, err)
	defer other.Release()
	require.NoError(t, other.Add([]arrow.Array{}, []uint32{5}))
	require.Equal(t, tbl.Hash(0), other.Hash(0))
	require.Equal(t, [][]uint32{{0}}, tbl.Buckets(1))
}

func TestEmptyKeys(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	types := []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float32, arrow.FixedWidthTypes.Boolean,
		&arrow.Decimal128Type{Precision: 5, Scale: 0}, arrow.FixedWidthTypes.Date32}
	for _, ts := range [][]arrow.DataType{types[:1], types[1:2], types} {
		tbl, err := New(ts, mem)
		require.NoError(t, err)
		keys, err := tbl.Keys(mem)
		require.NoError(t, err)
		require.Len(t, keys, len(ts))
		for j, k := range keys {
			require.Equal(t, 0, k.Len())
			require.True(t, arrow.TypeEqual(ts[j], k.DataType()))
			k.Release()
		}
		require.Len(t, tbl.Buckets(3), 3)
		tbl.Release()
	}
}

func TestBadInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	i64 := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1, 2]`)
	defer i64.Release()
	i32 := fromJSON(t, mem, arrow.PrimitiveTypes.Int32, `[1, 2]`)
	defer i32.Release()
	short := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1]`)
	defer short.Release()
	dict := fromJSON(t, mem, arrow.BinaryTypes.String, `["a", "b"]`)
	defer dict.Release()
	badIdx := fromJSON(t, mem, arrow.PrimitiveTypes.Int32, `[0, 2]`)
	defer badIdx.Release()
	negIdx := fromJSON(t, mem, arrow.PrimitiveTypes.Int8, `[-1, 0]`)
	defer negIdx.Release()
	bad := array.NewDictionaryArray(dictUtf8, badIdx, dict)
	defer bad.Release()
	neg := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, negIdx, dict)
	defer neg.Release()
	str := arrow.BinaryTypes.String
	tests := []struct {
		name  string
		types []arrow.DataType
		keys  []arrow.Array
		rows  int
		err   string
	}{
		{"column_count", []arrow.DataType{arrow.PrimitiveTypes.Int64}, []arrow.Array{i64, i64}, 2, "got 2 key columns, want 1"},
		{"type", []arrow.DataType{arrow.PrimitiveTypes.Int64}, []arrow.Array{i32}, 2, "key column 0: type int32, want int64"},
		{"rows", []arrow.DataType{arrow.PrimitiveTypes.Int64}, []arrow.Array{short}, 2, "key column 0: 1 rows, want 2"},
		{"nil_array", []arrow.DataType{arrow.PrimitiveTypes.Int64}, []arrow.Array{nil}, 2, "key column 0: nil array"},
		{"dict_for_int", []arrow.DataType{arrow.PrimitiveTypes.Int64}, []arrow.Array{bad}, 2, "key column 0: type dictionary"},
		{"code_out_of_range", []arrow.DataType{str}, []arrow.Array{bad}, 2, "row 1: dictionary index 2 out of range [0, 2)"},
		{"negative_code", []arrow.DataType{str}, []arrow.Array{neg}, 2, "row 0: dictionary index -1 out of range"},
		{"code_out_of_range_memo", []arrow.DataType{str, str}, []arrow.Array{bad, bad}, 2, "key column 0: row 1: dictionary index 2"},
		{"code_out_of_range_multi", []arrow.DataType{str, arrow.PrimitiveTypes.Int64}, []arrow.Array{bad, i64}, 2, "key column 0: row 1: dictionary index 2"},
		{"negative_code_multi", []arrow.DataType{str, str}, []arrow.Array{neg, neg}, 2, "key column 0: row 0: dictionary index -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := New(tc.types, mem)
			require.NoError(t, err)
			defer tbl.Release()
			err = tbl.Add(tc.keys, make([]uint32, tc.rows))
			require.ErrorContains(t, err, tc.err)
			require.True(t, strings.HasPrefix(err.Error(), "group: "), err.Error())
		})
	}
	t.Run("malformed_arrays", func(t *testing.T) {
		offs := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{0, 3, 1}))
		data := memory.NewBufferBytes([]byte("abc"))
		i8 := fromJSON(t, mem, arrow.PrimitiveTypes.Int8, `[1, 2]`)
		defer i8.Release()
		decreasing := array.NewStringData(array.NewData(arrow.BinaryTypes.String, 2, []*memory.Buffer{nil, offs, data}, nil, 0, 0))
		defer decreasing.Release()
		cases := []struct {
			name  string
			types []arrow.DataType
			keys  []arrow.Array
			err   string
		}{
			{"decreasing_offsets", []arrow.DataType{arrow.BinaryTypes.String}, []arrow.Array{decreasing}, "decreasing offsets"},
			{"decreasing_offsets_multi", []arrow.DataType{arrow.PrimitiveTypes.Int8, arrow.BinaryTypes.String}, []arrow.Array{i8, decreasing}, "key column 1: malformed string array: decreasing offsets"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tbl, err := New(tc.types, mem)
				require.NoError(t, err)
				defer tbl.Release()
				err = tbl.Add(tc.keys, make([]uint32, tc.keys[0].Len()))
				require.ErrorContains(t, err, tc.err)
			})
		}
	})
	t.Run("unsupported_type", func(t *testing.T) {
		_, err := New([]arrow.DataType{arrow.ListOf(arrow.PrimitiveTypes.Int64)}, mem)
		require.ErrorContains(t, err, "key column 0: unsupported key type list")
		_, err = New([]arrow.DataType{arrow.PrimitiveTypes.Int64, nil}, mem)
		require.ErrorContains(t, err, "key column 1: nil type")
	})
	t.Run("after_release", func(t *testing.T) {
		tbl, err := New([]arrow.DataType{arrow.PrimitiveTypes.Int64}, mem)
		require.NoError(t, err)
		require.NoError(t, tbl.Add([]arrow.Array{i64}, make([]uint32, 2)))
		tbl.Release()
		tbl.Release()
		require.ErrorIs(t, tbl.Add([]arrow.Array{i64}, make([]uint32, 2)), ErrReleased)
		_, err = tbl.Keys(mem)
		require.ErrorIs(t, err, ErrReleased)
		require.Equal(t, 0, tbl.Len())
	})
}

// randomColumns makes rows of random keys of the given types with about
// card distinct values per column and some NULLs.
func randomColumns(t testing.TB, mem memory.Allocator, rng *rand.Rand, types []arrow.DataType, rows, card int) []arrow.Array {
	t.Helper()
	var out []arrow.Array
	for _, typ := range types {
		b := array.NewBuilder(mem, typ)
		for range rows {
			if rng.IntN(20) == 0 {
				b.AppendNull()
				continue
			}
			v := rng.IntN(card)
			switch b := b.(type) {
			case *array.Int64Builder:
				b.Append(int64(v) * 1e12)
			case *array.Int32Builder:
				b.Append(int32(v) - 100)
			case *array.Uint8Builder:
				b.Append(uint8(v))
			case *array.Float64Builder:
				fs := []float64{math.NaN(), 0, math.Copysign(0, -1)}
				if v < len(fs) {
					b.Append(fs[v])
				} else {
					b.Append(float64(v) / 4)
				}
			case *array.StringBuilder:
				b.Append(strings.Repeat("0", v%13) + strconv.Itoa(v))
			case *array.BooleanBuilder:
				b.Append(v%2 == 0)
			case *array.TimestampBuilder:
				b.Append(arrow.Timestamp(v))
			case *array.Decimal128Builder:
				b.Append(decimal128.FromI64(int64(v) - 50))
			default:
				t.Fatalf("randomColumns: %T", b)
			}
		}
		out = append(out, b.NewArray())
		b.Release()
	}
	return out
}

// takeRows returns the rows of a in the order of idx.
func takeRows(t testing.TB, mem memory.Allocator, a arrow.Array, idx []int) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, a.DataType())
	defer b.Release()
	for _, i := range idx {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		require.NoError(t, b.AppendValueFromString(a.ValueStr(i)))
	}
	return b.NewArray()
}

func TestRandom(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(9, 10))
	str := arrow.BinaryTypes.String
	tests := []struct {
		name  string
		types []arrow.DataType
		card  int
		dict  bool
		rows  int
	}{
		{"int64_high_card", []arrow.DataType{arrow.PrimitiveTypes.Int64}, 50000, false, 100000},
		{"utf8", []arrow.DataType{str}, 20000, false, 30000},
		{"utf8_dict", []arrow.DataType{str}, 20000, true, 100000},
		{"float64", []arrow.DataType{arrow.PrimitiveTypes.Float64}, 1000, false, 20000},
		{"two_dict_memo", []arrow.DataType{str, str}, 100, true, 100000},
		{"mixed", []arrow.DataType{str, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float64,
			&arrow.TimestampType{Unit: arrow.Microsecond}, &arrow.Decimal128Type{Precision: 9, Scale: 2},
			arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Uint8}, 20, true, 30000},
		{"small_ints_memo", []arrow.DataType{arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Uint8, arrow.FixedWidthTypes.Boolean}, 50, false, 100000},
		{"dict_int_memo", []arrow.DataType{str, arrow.PrimitiveTypes.Int32}, 30, true, 30000},
		{"two_high_card", []arrow.DataType{arrow.PrimitiveTypes.Int64, str}, 400, false, 30000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := tc.rows
			cols := randomColumns(t, mem, rng, tc.types, rows, tc.card)
			defer releaseAll([][]arrow.Array{cols})
			var batches [][]arrow.Array
			for at := 0; at < rows; {
				n := min(rows-at, 1+rng.IntN(20000))
				var b []arrow.Array
				for _, c := range cols {
					s := array.NewSlice(c, int64(at), int64(at+n))
					if tc.dict && s.DataType().ID() == arrow.STRING && rng.IntN(3) > 0 {
						d := toDict(t, mem, s, rng, rng.IntN(2) == 0)
						s.Release()
						s = d
					}
					b = append(b, s)
				}
				batches = append(batches, b)
				at += n
			}
			defer releaseAll(batches)
			tbl := checkAgainstRef(t, mem, tc.types, batches)
			defer tbl.Release()
			require.Positive(t, tbl.Bytes())
		})
	}
}

func TestHashBytes(t *testing.T) {
	// Every length goes through its own code path; all hashes must differ,
	// and changing any one byte must change the hash.
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	seen := map[uint64]int{}
	for n := range len(buf) + 1 {
		h := hashBytes(buf[:n])
		prev, dup := seen[h]
		require.False(t, dup, "lengths %d and %d collide", prev, n)
		seen[h] = n
		require.Equal(t, h, hashBytes(append([]byte(nil), buf[:n]...)))
		for i := range n {
			b := append([]byte(nil), buf[:n]...)
			b[i] ^= 1
			require.NotEqual(t, h, hashBytes(b), "length %d, byte %d", n, i)
		}
	}
}

// TestDenseKeepsRange: an integer key whose range widens batch by batch stays
// on the direct array while the keys seen span less than denseMax, however
// the array itself grew (it once counted its doubling slack as range and
// fell back to hashing for keys 1..100000).
func TestDenseKeepsRange(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	tab, err := New([]arrow.DataType{arrow.PrimitiveTypes.Int32}, mem)
	require.NoError(t, err)
	defer tab.Release()
	want := map[int32]uint32{}
	for _, r := range [][2]int32{{3, 70000}, {1, 100000}, {2, 99999}, {1, 100000}} {
		b := array.NewInt32Builder(mem)
		for v := r[0]; v <= r[1]; v += 997 {
			b.Append(v)
		}
		b.Append(r[0])
		b.Append(r[1])
		a := b.NewArray()
		b.Release()
		ids := make([]uint32, a.Len())
		require.NoError(t, tab.Add([]arrow.Array{a}, ids))
		for i, v := range a.(*array.Int32).Int32Values() {
			if g, ok := want[v]; ok {
				require.Equal(t, g, ids[i], "key %d", v)
			} else {
				want[v] = ids[i]
			}
		}
		a.Release()
		require.True(t, tab.dense, "range [%d, %d]", r[0], r[1])
	}
	require.Equal(t, len(want), tab.Len())
	// A key past the limit leaves the direct array; ids stay.
	b := array.NewInt32Builder(mem)
	b.AppendValues([]int32{1 + denseMax, 1, 100000}, nil)
	a := b.NewArray()
	b.Release()
	defer a.Release()
	ids := make([]uint32, 3)
	require.NoError(t, tab.Add([]arrow.Array{a}, ids))
	require.False(t, tab.dense)
	require.Equal(t, want[1], ids[1])
	require.Equal(t, want[100000], ids[2])
	require.EqualValues(t, len(want), ids[0])
}

// TestReserve: a table reserved for n groups takes n distinct keys without
// growing its hash index, and reserving again after groups exist keeps every
// key findable under its id.
func TestReserve(t *testing.T) {
	const n = 5000
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	ints := make([]int64, n)
	strs := make([]string, n)
	for i := range ints {
		ints[i] = int64(i) * 1_000_003 // too wide a range for a direct array
		strs[i] = "k" + strconv.Itoa(i)
	}
	ib := array.NewInt64Builder(mem)
	ib.AppendValues(ints, nil)
	ia := ib.NewArray()
	ib.Release()
	defer ia.Release()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues(strs, nil)
	sa := sb.NewArray()
	sb.Release()
	defer sa.Release()
	// indexLen is the size of the table's hash index.
	indexLen := func(tb *Table) int {
		switch tb.mode {
		case modeMulti:
			return len(tb.mslots)
		case modeInt:
			return len(tb.islots)
		}
		return len(tb.cols[0].strs.slots)
	}
	for _, tc := range []struct {
		name  string
		types []arrow.DataType
		keys  []arrow.Array
	}{
		{"multi", []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String}, []arrow.Array{ia, sa}},
		{"string", []arrow.DataType{arrow.BinaryTypes.String}, []arrow.Array{sa}},
		{"int", []arrow.DataType{arrow.PrimitiveTypes.Int64}, []arrow.Array{ia}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := New(tc.types, mem)
			require.NoError(t, err)
			defer tb.Release()
			half := make([]arrow.Array, len(tc.keys))
			rest := make([]arrow.Array, len(tc.keys))
			for i, k := range tc.keys {
				half[i] = array.NewSlice(k, 0, n/2)
				rest[i] = array.NewSlice(k, n/2, n)
				defer half[i].Release()
				defer rest[i].Release()
			}
			ids := make([]uint32, n/2)
			require.NoError(t, tb.Add(half, ids))
			tb.Reserve(n)
			size := indexLen(tb)
			require.GreaterOrEqual(t, size, n, "room for n groups")
			if tb.mode != modeInt {
				require.Greater(t, 4*n, 3*(size/2), "the smallest index that holds n groups 3/4 full")
			}
			require.NoError(t, tb.Add(rest, ids))
			require.Equal(t, size, indexLen(tb), "no rehash while adding reserved groups")
			require.Equal(t, n, tb.Len())
			all := make([]uint32, n)
			require.NoError(t, tb.Add(tc.keys, all))
			for i, id := range all {
				require.Equal(t, uint32(i), id, "row %d", i)
			}
		})
	}
}

// TestShortStrings: plain strings of at most maxShort bytes go through the
// short index, longer ones through the hash table, and a table that mixes
// both kinds of batch, NULLs, every length from 0 to 16 bytes, strings
// ending their buffer (packed byte by byte) and, past maxShortKeys strings,
// a table that gives the index up, gives the same ids as the reference; keys
// that repeat once per batch (a merge of partial states) never start it.
func TestShortStrings(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	str := arrow.BinaryTypes.String
	build := func(vals []string, nulls bool) arrow.Array {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i, v := range vals {
			if nulls && i%7 == 3 {
				b.AppendNull()
				continue
			}
			b.Append(v)
		}
		return b.NewArray()
	}
	var lengths, shortOnes []string
	for n := 0; n <= 16; n++ {
		for _, v := range []string{strings.Repeat("x", n), strings.Repeat("\x00", n), strings.Repeat("y", n) + "\x00"} {
			lengths = append(lengths, v)
			if len(v) <= maxShort {
				shortOnes = append(shortOnes, v)
			}
		}
	}
	short := func(seed int) []string {
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		out := make([]string, 5000)
		for i := range out {
			out[i] = "id" + strconv.Itoa(rng.IntN(50))
		}
		return out
	}
	unique := func(lo, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strconv.Itoa(lo + i)
		}
		return out
	}
	// repeat returns vals over and over, n rows: enough repeated rows for
	// the table to start its short index.
	repeat := func(vals []string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = vals[i%len(vals)]
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		batches [][]string
		nulls   bool
	}{
		{"short batches", [][]string{short(1), short(2), short(3)}, false},
		{"short batches with NULLs", [][]string{short(1), short(2)}, true},
		{"every length", [][]string{repeat(shortOnes, 5000), lengths, shortOnes, shortOnes, lengths}, false},
		{"short then long then short", [][]string{short(1), lengths, short(1), {"id7", "a string longer than fifteen bytes", "id7"}}, true},
		{"strings at the end of the buffer", [][]string{repeat([]string{"abc"}, 5000), {"abc", "abc"}, {"", ""}, {"abcdefghijklmno", "abcdefghijklmno"}}, false},
		{"many strings give the index up", [][]string{short(4), unique(0, maxShortKeys/2), unique(0, maxShortKeys), unique(maxShortKeys, maxShortKeys), unique(0, 1000), short(4)}, false},
		{"keys repeating once never start it", [][]string{unique(0, 3000), unique(0, 3000)}, false},
	} {
		for _, keys := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/keys=%d", tc.name, keys), func(t *testing.T) {
				var batches [][]arrow.Array
				for _, vals := range tc.batches {
					var cols []arrow.Array
					for range keys {
						cols = append(cols, build(vals, tc.nulls))
					}
					batches = append(batches, cols)
				}
				defer releaseAll(batches)
				types := []arrow.DataType{str}
				if keys == 2 {
					types = append(types, str)
				}
				tbl := checkAgainstRef(t, mem, types, batches)
				defer tbl.Release()
				x := tbl.cols[0].strs.short
				switch tc.name {
				case "many strings give the index up":
					require.True(t, x.off, "index given up")
				case "keys repeating once never start it":
					require.False(t, x.off)
					require.Nil(t, x.slots, "index not started")
				default:
					require.Positive(t, x.hits, "rows found in the short index")
				}
			})
		}
	}
}

// TestKeysStringLengths: Keys gives back string keys of every length around
// the 16-byte blocks it moves short ones in, at the start and the very end
// of its buffers, with NULLs between, alone and beside other key columns.
func TestKeysStringLengths(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	var vals []string
	for n := 40; n >= 0; n-- { // long first: the last keys are short, at the buffers' end
		vals = append(vals, strings.Repeat(string(rune('a'+n%26)), n))
	}
	var js []string
	for i, v := range vals {
		js = append(js, `"`+v+`"`)
		if i%7 == 3 {
			js = append(js, "null")
		}
	}
	a := fromJSON(t, mem, arrow.BinaryTypes.String, "["+strings.Join(js, ",")+"]")
	defer a.Release()
	for _, types := range [][]arrow.DataType{
		{arrow.BinaryTypes.String},
		{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int8},
	} {
		cols := []arrow.Array{a}
		if len(types) == 2 {
			b := array.NewInt8Builder(mem)
			for i := 0; i < a.Len(); i++ {
				b.Append(int8(i % 3))
			}
			ints := b.NewArray()
			b.Release()
			defer ints.Release()
			cols = append(cols, ints)
		}
		tbl := checkAgainstRef(t, mem, types, [][]arrow.Array{cols})
		tbl.Release()
	}
}

// TestStrTableCompare: interning tells strings apart by their bytes alone,
// even when every one is given the same hash: short strings that differ in
// length or only in trailing NUL bytes, long ones that share their first
// sixteen bytes, and a string read from a buffer with bytes past its end.
func TestStrTableCompare(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	var vals []string
	for n := 0; n <= 40; n++ {
		vals = append(vals, strings.Repeat("a", n), strings.Repeat("\x00", n), strings.Repeat("a", n)+"b")
	}
	vals = append(vals, "0123456789abcdef-x", "0123456789abcdef-y", "0123456789abcde\x00")
	for _, sameHash := range []bool{false, true} {
		t.Run(fmt.Sprintf("sameHash=%v", sameHash), func(t *testing.T) {
			s := newStrTable(mem)
			defer s.free()
			hash := func(b []byte) uint64 {
				if sameHash {
					return 42 << 40
				}
				return hashBytes(b)
			}
			ids := map[string]uint32{}
			for _, v := range vals {
				if _, dup := ids[v]; dup {
					continue
				}
				// Interned from a buffer that goes on past the string.
				buf := []byte(v + "zzzzzzzzzzzzzzzzzz")
				b := buf[:len(v)]
				id := s.intern(b, hash(b))
				require.Equal(t, uint32(len(ids)), id, "%q is new", v)
				ids[v] = id
			}
			for v, id := range ids {
				b := []byte(v) // no bytes past the end
				require.Equal(t, id, s.intern(b, hash(b)), "%q again", v)
				require.Equal(t, id+1, s.find(b, hash(b)), "%q found", v)
				require.Equal(t, v, string(s.value(id)))
			}
			for _, v := range []string{"aab\x00", "\x00\x00a", "0123456789abcdef-z", strings.Repeat("a", 41)} {
				b := []byte(v)
				require.Zero(t, s.find(b, hash(b)), "%q is not in the table", v)
			}
		})
	}
}
