package column

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var dictStr = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// fromJSON builds an array; for dictionary types, from the dictionary's JSON
// values and indices.
func fromJSON(t testing.TB, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	if d, ok := dt.(*arrow.DictionaryType); ok {
		parts := strings.SplitN(js, "|", 2)
		dict, _, err := array.FromJSON(mem, d.ValueType, strings.NewReader(parts[0]))
		require.NoError(t, err)
		defer dict.Release()
		ind, _, err := array.FromJSON(mem, d.IndexType, strings.NewReader(parts[1]))
		require.NoError(t, err)
		defer ind.Release()
		return array.NewDictionaryArray(dt, ind, dict)
	}
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	require.NoError(t, err)
	return a
}

// naiveTake is the reference: one-row slices concatenated (dictionaries unpacked).
func naiveTake(t *testing.T, mem memory.Allocator, arr arrow.Array, idx []int32) arrow.Array {
	t.Helper()
	plain, err := naiveUnpack(mem, arr)
	require.NoError(t, err)
	defer plain.Release()
	if len(idx) == 0 {
		return array.NewSlice(plain, 0, 0)
	}
	parts := make([]arrow.Array, len(idx))
	for i, j := range idx {
		parts[i] = array.NewSlice(plain, int64(j), int64(j)+1)
	}
	out, err := array.Concatenate(parts, mem)
	require.NoError(t, err)
	for _, p := range parts {
		p.Release()
	}
	return out
}

// naiveUnpack decodes a dictionary array row by row through a builder.
func naiveUnpack(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	d, ok := arr.(*array.Dictionary)
	if !ok {
		arr.Retain()
		return arr, nil
	}
	b := array.NewBuilder(mem, d.Dictionary().DataType())
	defer b.Release()
	for i := 0; i < d.Len(); i++ {
		if d.IsNull(i) {
			b.AppendNull()
			continue
		}
		if err := b.AppendValueFromString(d.Dictionary().ValueStr(d.GetValueIndex(i))); err != nil {
			return nil, err
		}
	}
	return b.NewArray(), nil
}

func requireSame(t *testing.T, mem memory.Allocator, want, got arrow.Array) {
	t.Helper()
	g, err := naiveUnpack(mem, got)
	require.NoError(t, err)
	defer g.Release()
	require.Truef(t, array.Equal(want, g), "want %v\n got %v", want, g)
	require.Equal(t, want.NullN(), g.NullN())
}

func TestTake(t *testing.T) {
	types := []struct {
		name string
		dt   arrow.DataType
		js   string
	}{
		{"int8", arrow.PrimitiveTypes.Int8, `[1, -2, null, 127, -128, 0]`},
		{"int16", arrow.PrimitiveTypes.Int16, `[1, -2, null, 300, 5, 6]`},
		{"int32", arrow.PrimitiveTypes.Int32, `[1, 2, 3, null, 5, 6]`},
		{"int64", arrow.PrimitiveTypes.Int64, `[10, null, 30, 40, 50, -60]`},
		{"uint8", arrow.PrimitiveTypes.Uint8, `[1, 2, 255, null, 5, 6]`},
		{"uint64", arrow.PrimitiveTypes.Uint64, `[18446744073709551615, 2, 3, 4, null, 6]`},
		{"float32", arrow.PrimitiveTypes.Float32, `[1.5, 2, null, 4, 5, 6]`},
		{"float64", arrow.PrimitiveTypes.Float64, `[1.5, null, -3.25, 4, 5, 6]`},
		{"bool", arrow.FixedWidthTypes.Boolean, `[true, false, null, true, true, false]`},
		{"string", arrow.BinaryTypes.String, `["a", "", null, "dddd", "éé", "f"]`},
		{"binary", arrow.BinaryTypes.Binary, `["YQ==", "", null, "ZGQ=", "ZQ==", "Zg=="]`},
		{"large_string", arrow.BinaryTypes.LargeString, `["a", "bb", null, "dddd", "e", "f"]`},
		// Lengths around the 16-byte blocks short strings are moved in.
		{"string_lengths", arrow.BinaryTypes.String, `["0123456789abcde", "0123456789abcdef", "0123456789abcdefg", null, "x", ""]`},
		{"large_string_lengths", arrow.BinaryTypes.LargeString, `["", "0123456789abcdef", "z", "0123456789abcdefg", null, "0123456789abcde"]`},
		{"date32", arrow.FixedWidthTypes.Date32, `[0, 19000, null, -5, 4, 5]`},
		{"timestamp_ms", &arrow.TimestampType{Unit: arrow.Millisecond}, `[0, 1700000000000, null, 3, 4, 5]`},
		{"timestamp_us_tz", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, `[0, 1, 2, null, 4, 5]`},
		{"decimal128", &arrow.Decimal128Type{Precision: 10, Scale: 2}, `["1.25", "-2.50", null, "99999999.99", "0", "3"]`},
		{"fixed_size_binary3", &arrow.FixedSizeBinaryType{ByteWidth: 3}, `["YWJj", "ZGVm", null, "Z2hp", "amts", "bW5v"]`},
		{"null", arrow.Null, `[null, null, null, null, null, null]`},
		{"dict", dictStr, `["x", "y", "z"]|[0, 1, null, 2, 1, 0]`},
		{"no_nulls", arrow.PrimitiveTypes.Int64, `[1, 2, 3, 4, 5, 6]`},
		{"no_nulls_string", arrow.BinaryTypes.String, `["a", "b", "c", "d", "e", "f"]`},
		{"all_null_int", arrow.PrimitiveTypes.Int64, `[null, null, null, null, null, null]`},
	}
	indices := map[string][]int32{
		"empty":    {},
		"one":      {3},
		"repeats":  {0, 0, 5, 5, 2},
		"reversed": {5, 4, 3, 2, 1, 0},
		"all_long": {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 1, 3},
	}
	for _, tc := range types {
		for iname, idx := range indices {
			for _, sliced := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/sliced=%v", tc.name, iname, sliced)
				t.Run(name, func(t *testing.T) {
					mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
					defer mem.AssertSize(t, 0)
					arr := fromJSON(t, mem, tc.dt, tc.js)
					defer func() { arr.Release() }()
					idx := idx
					if sliced {
						// slice off one row at the front so data offsets are exercised.
						s := array.NewSlice(arr, 1, int64(arr.Len()))
						arr.Release()
						arr = s
						adj := make([]int32, 0, len(idx))
						for _, j := range idx {
							if int(j) < arr.Len() {
								adj = append(adj, j)
							}
						}
						idx = adj
					}
					got, err := Take(mem, arr, idx)
					require.NoError(t, err)
					defer got.Release()
					want := naiveTake(t, mem, arr, idx)
					defer want.Release()
					require.Equal(t, len(idx), got.Len())
					require.True(t, arrow.TypeEqual(arr.DataType(), got.DataType()), "type %s", got.DataType())
					requireSame(t, mem, want, got)
				})
			}
		}
	}
}

// TestTakeUninit: Take writes every byte of its output buffers, which a
// bare recycling allocator hands out uncleared (poisoned when reused): large
// columns of numbers, strings of every length and decimals, with NULLs.
func TestTakeUninit(t *testing.T) {
	bare := recycle.New(recycle.Options{Poison: true})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 3000
	ib := array.NewInt64Builder(mem)
	sb := array.NewStringBuilder(mem)
	db := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 20, Scale: 2})
	for i := range n {
		if i%11 == 5 {
			ib.AppendNull()
			sb.AppendNull()
			db.AppendNull()
			continue
		}
		ib.Append(int64(i) - 1000)
		sb.Append(strings.Repeat(string(rune('a'+i%26)), i%40))
		db.Append(decimal128.FromI64(int64(i) * 7))
	}
	arrs := []arrow.Array{ib.NewArray(), sb.NewArray(), db.NewArray()}
	ib.Release()
	sb.Release()
	db.Release()
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	idx := make([]int32, 2*n)
	for i := range idx {
		idx[i] = int32(rng.IntN(n))
	}
	for _, a := range arrs {
		t.Run(a.DataType().String(), func(t *testing.T) {
			for size := 4 << 10; size <= 256<<10; size += 1 << 10 {
				bare.Free(bare.AllocateUninit(size))
			}
			want := naiveTake(t, mem, a, idx)
			defer want.Release()
			got, err := Take(bare, a, idx)
			require.NoError(t, err)
			defer got.Release()
			requireSame(t, mem, want, got)
		})
	}
}

func TestTakeErrors(t *testing.T) {
	cases := []struct {
		name string
		dt   arrow.DataType
		js   string
		idx  []int32
		want error
	}{
		{"past_end", arrow.PrimitiveTypes.Int64, `[1, 2]`, []int32{0, 2}, ErrIndex},
		{"negative", arrow.BinaryTypes.String, `["a"]`, []int32{-1}, ErrIndex},
		{"empty_source", arrow.PrimitiveTypes.Int64, `[]`, []int32{0}, ErrIndex},
		{"struct", arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64}), `[{"a": 1}, {"a": 2}]`, []int32{0}, ErrUnsupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			arr := fromJSON(t, mem, tc.dt, tc.js)
			defer arr.Release()
			got, err := Take(mem, arr, tc.idx)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, got)
		})
	}
}

func TestTakeIndices(t *testing.T) {
	cases := []struct {
		name    string
		dt      arrow.DataType
		values  string
		itype   arrow.DataType
		indices string
		want    string
	}{
		{"int64_null_index", arrow.PrimitiveTypes.Int64, `[10, 20, null]`, arrow.PrimitiveTypes.Int32, `[2, null, 0, 1]`, `[null, null, 10, 20]`},
		{"string_uint8_index", arrow.BinaryTypes.String, `["a", "bb"]`, arrow.PrimitiveTypes.Uint8, `[1, 1, null, 0]`, `["bb", "bb", null, "a"]`},
		{"bool_int64_index", arrow.FixedWidthTypes.Boolean, `[true, false]`, arrow.PrimitiveTypes.Int64, `[1, 0, null]`, `[false, true, null]`},
		{"empty_values_all_null", arrow.PrimitiveTypes.Float64, `[]`, arrow.PrimitiveTypes.Int32, `[null, null]`, `[null, null]`},
		{"empty", arrow.PrimitiveTypes.Float64, `[1]`, arrow.PrimitiveTypes.Int32, `[]`, `[]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			vals := fromJSON(t, mem, tc.dt, tc.values)
			defer vals.Release()
			ind := fromJSON(t, mem, tc.itype, tc.indices)
			defer ind.Release()
			want := fromJSON(t, mem, tc.dt, tc.want)
			defer want.Release()
			got, err := TakeIndices(mem, vals, ind)
			require.NoError(t, err)
			defer got.Release()
			requireSame(t, mem, want, got)
		})
	}
	t.Run("out_of_range", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		vals := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1]`)
		defer vals.Release()
		ind := fromJSON(t, mem, arrow.PrimitiveTypes.Uint64, `[0, 18446744073709551615]`)
		defer ind.Release()
		_, err := TakeIndices(mem, vals, ind)
		require.ErrorIs(t, err, ErrIndex)
	})
	t.Run("float_indices", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		vals := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1]`)
		defer vals.Release()
		ind := fromJSON(t, mem, arrow.PrimitiveTypes.Float64, `[0]`)
		defer ind.Release()
		_, err := TakeIndices(mem, vals, ind)
		require.ErrorIs(t, err, ErrUnsupported)
	})
}

func TestTakeRecord(t *testing.T) {
	for _, idx := range [][]int32{{}, {1}, {2, 0, 2}} {
		t.Run(fmt.Sprint(idx), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			a := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1, null, 3]`)
			defer a.Release()
			b := fromJSON(t, mem, dictStr, `["p", "q"]|[1, 0, null]`)
			defer b.Release()
			schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: a.DataType(), Nullable: true}, {Name: "b", Type: b.DataType(), Nullable: true}}, nil)
			rec := array.NewRecord(schema, []arrow.Array{a, b}, 3)
			defer rec.Release()
			got, err := TakeRecord(mem, rec, idx)
			require.NoError(t, err)
			defer got.Release()
			require.Equal(t, int64(len(idx)), got.NumRows())
			require.True(t, got.Schema().Equal(schema))
			for c := 0; c < 2; c++ {
				want := naiveTake(t, mem, rec.Column(c), idx)
				requireSame(t, mem, want, got.Column(c))
				want.Release()
			}
			_, err = TakeRecord(mem, rec, []int32{3})
			require.ErrorIs(t, err, ErrIndex)
		})
	}
}

func TestSelection(t *testing.T) {
	cases := []struct {
		name  string
		js    string
		slice int64 // rows sliced off the front
	}{
		{"empty", `[]`, 0},
		{"one_true", `[true]`, 0},
		{"one_null", `[null]`, 0},
		{"mixed", `[true, false, null, true, true, true, true, true, true, true, false, null, true]`, 0},
		{"all_true_16", `[true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true]`, 0},
		{"all_null", `[null, null, null, null, null, null, null, null, null]`, 0},
		{"sliced_3", `[true, false, null, true, true, false, true, true, true, true, false, null, true]`, 3},
		{"sliced_8", `[true, false, null, true, true, false, true, true, true, true, false, null, true]`, 8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			arr := fromJSON(t, mem, arrow.FixedWidthTypes.Boolean, tc.js)
			defer arr.Release()
			m := array.NewSlice(arr, tc.slice, int64(arr.Len()))
			defer m.Release()
			b := m.(*array.Boolean)
			var want []int32
			for i := 0; i < b.Len(); i++ {
				if b.IsValid(i) && b.Value(i) {
					want = append(want, int32(i))
				}
			}
			reuse := []int32{99, 98, 97}
			got := Selection(m, reuse)
			require.Equal(t, len(want), len(got))
			if len(want) > 0 {
				require.Equal(t, want, got)
			}
		})
	}
	t.Run("null_type", func(t *testing.T) {
		m := array.NewNull(4)
		defer m.Release()
		require.Empty(t, Selection(m, nil))
	})
}

func TestUnpack(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	d := fromJSON(t, mem, dictStr, `["x", "y"]|[1, null, 0, 1]`)
	defer d.Release()
	got, err := Unpack(mem, d)
	require.NoError(t, err)
	defer got.Release()
	want := fromJSON(t, mem, arrow.BinaryTypes.String, `["y", null, "x", "y"]`)
	defer want.Release()
	require.True(t, array.Equal(want, got), "got %v", got)

	same, err := Unpack(mem, want)
	require.NoError(t, err)
	require.True(t, same == want)
	same.Release()
}

func TestConcat(t *testing.T) {
	cases := []struct {
		name     string
		parts    []arrow.DataType
		js       []string
		wantDict bool
		want     string
	}{
		{"plain", []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64}, []string{`[1, null]`, `[3]`}, false, `[1, null, 3]`},
		{"one", []arrow.DataType{arrow.PrimitiveTypes.Int64}, []string{`[1]`}, false, `[1]`},
		{"same_dict", []arrow.DataType{dictStr, dictStr}, []string{`["a", "b"]|[0, 1]`, `["a", "b"]|[1, null]`}, true, `["a", "b", "b", null]`},
		{"different_dicts", []arrow.DataType{dictStr, dictStr}, []string{`["a", "b"]|[0, 1]`, `["c"]|[0, null]`}, false, `["a", "b", "c", null]`},
		{"dict_and_plain", []arrow.DataType{dictStr, arrow.BinaryTypes.String}, []string{`["a"]|[0]`, `["z", null]`}, false, `["a", "z", null]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			var arrs []arrow.Array
			for i, dt := range tc.parts {
				a := fromJSON(t, mem, dt, tc.js[i])
				defer a.Release()
				arrs = append(arrs, a)
			}
			got, err := Concat(mem, arrs)
			require.NoError(t, err)
			defer got.Release()
			require.Equal(t, tc.wantDict, got.DataType().ID() == arrow.DICTIONARY)
			vt := tc.parts[len(tc.parts)-1]
			if d, ok := vt.(*arrow.DictionaryType); ok {
				vt = d.ValueType
			}
			want := fromJSON(t, mem, vt, tc.want)
			defer want.Release()
			requireSame(t, mem, want, got)
		})
	}
	t.Run("none", func(t *testing.T) {
		_, err := Concat(memory.NewGoAllocator(), nil)
		require.Error(t, err)
	})
	t.Run("mismatched_types", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		a := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1]`)
		defer a.Release()
		b := fromJSON(t, mem, arrow.PrimitiveTypes.Int32, `[1]`)
		defer b.Release()
		_, err := Concat(mem, []arrow.Array{a, b})
		require.Error(t, err)
	})
}

func TestRepeat(t *testing.T) {
	cases := []struct {
		name string
		dt   arrow.DataType
		v    any
		n    int
		want string
	}{
		{"null_int", arrow.PrimitiveTypes.Int64, nil, 3, `[null, null, null]`},
		{"bool", arrow.FixedWidthTypes.Boolean, true, 10, `[true, true, true, true, true, true, true, true, true, true]`},
		{"int8", arrow.PrimitiveTypes.Int8, int64(-3), 2, `[-3, -3]`},
		{"uint64", arrow.PrimitiveTypes.Uint64, uint64(1 << 40), 2, `[1099511627776, 1099511627776]`},
		{"float32", arrow.PrimitiveTypes.Float32, 1.5, 2, `[1.5, 1.5]`},
		{"float64", arrow.PrimitiveTypes.Float64, 2.25, 1, `[2.25]`},
		{"string", arrow.BinaryTypes.String, "ab", 3, `["ab", "ab", "ab"]`},
		{"large_string", arrow.BinaryTypes.LargeString, "ab", 2, `["ab", "ab"]`},
		{"empty_string", arrow.BinaryTypes.String, "", 2, `["", ""]`},
		{"date32", arrow.FixedWidthTypes.Date32, int64(19000), 2, `[19000, 19000]`},
		{"timestamp", &arrow.TimestampType{Unit: arrow.Microsecond}, int64(5), 2, `[5, 5]`},
		{"decimal", &arrow.Decimal128Type{Precision: 5, Scale: 2}, decimal128.FromI64(125), 2, `["1.25", "1.25"]`},
		{"zero_rows", arrow.PrimitiveTypes.Int64, int64(1), 0, `[]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			got, err := Repeat(mem, tc.dt, tc.v, tc.n)
			require.NoError(t, err)
			defer got.Release()
			want := fromJSON(t, mem, tc.dt, tc.want)
			defer want.Release()
			require.True(t, array.Equal(want, got), "got %v", got)
		})
	}
	bad := []struct {
		name string
		dt   arrow.DataType
		v    any
	}{
		{"int8_overflow", arrow.PrimitiveTypes.Int8, int64(300)},
		{"uint_negative", arrow.PrimitiveTypes.Uint32, int64(-1)},
		{"wrong_go_type", arrow.PrimitiveTypes.Int64, "x"},
		{"list", arrow.ListOf(arrow.PrimitiveTypes.Int64), int64(1)},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			_, err := Repeat(mem, tc.dt, tc.v, 2)
			require.Error(t, err)
		})
	}
	_, err := Repeat(memory.NewGoAllocator(), arrow.PrimitiveTypes.Int64, int64(1), -1)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrIndex))
}
