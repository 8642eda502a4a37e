package ops

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/ops/expr"
)

// TestRowOrder: sorting by a first key's integer form (with the other keys
// breaking its ties, then row position) gives exactly the order of the
// general comparison, for every type that has the form, ascending and
// descending, NULLs first and last, with the values that need care: NaN,
// both zeros, infinities, the integer extremes, and many ties.
func TestRowOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint16,
		arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64, arrow.PrimitiveTypes.Float32,
		arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Date64,
		arrow.FixedWidthTypes.Timestamp_us, arrow.FixedWidthTypes.Boolean,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range types {
		for _, nulls := range []bool{false, true} {
			first := randomKeys(mem, rng, typ, 300, nulls)
			second := randomKeys(mem, rng, arrow.PrimitiveTypes.Int8, 300, true)
			for _, desc := range []bool{false, true} {
				for _, nullsFirst := range []bool{false, true} {
					name := fmt.Sprintf("%s/nulls=%v/desc=%v/nullsFirst=%v", typ, nulls, desc, nullsFirst)
					keys, rank, ok := intKeys(first, desc, nullsFirst)
					require.True(t, ok, name)
					require.Equal(t, nulls, rank != nil, name)
					c1, err := compareFunc(first, desc, nullsFirst)
					require.NoError(t, err)
					c2, err := compareFunc(second, false, false)
					require.NoError(t, err)
					full := chain([]func(a, b int) int{c1, c2})
					want := make([]int32, first.Len())
					for i := range want {
						want[i] = int32(i)
					}
					got := slices.Clone(want)
					slices.SortStableFunc(want, func(a, b int32) int { return full(int(a), int(b)) })
					o := &rowOrder{full: full, rest: c2, keys: keys, rank: rank}
					o.sort(got)
					require.Equal(t, want, got, name)
					// Row by row, as a merge of runs compares.
					sign := func(x int) int { return cmp.Compare(x, 0) }
					for range 500 {
						a, b := rng.IntN(first.Len()), rng.IntN(first.Len())
						w := full(a, b)
						if w == 0 {
							w = a - b
						}
						require.Equal(t, sign(w), sign(o.compare(a, b)), "%s: rows %d, %d", name, a, b)
					}
					// The second key as integers too.
					k2, r2, ok := intKeys(second, false, false)
					require.True(t, ok)
					both := &rowOrder{full: full, keys: keys, rank: rank, next: []intKey{{keys: k2, rank: r2}}}
					got2 := slices.Clone(got)
					slices.Reverse(got2)
					both.sort(got2)
					require.Equal(t, want, got2, name)
					// The first k only, with and without the integer form.
					plain := &rowOrder{full: full}
					for _, k := range []int{0, 1, 7, 150, len(want) - 1, len(want), len(want) + 5} {
						for _, ord := range []*rowOrder{o, plain} {
							top := make([]int32, len(want))
							for i := range top {
								top[i] = int32(len(top) - 1 - i)
							}
							ord.top(top, k)
							m := min(k, len(want))
							require.Equal(t, want[:m], top[:m], "%s: top %d", name, k)
						}
					}
					// A sub-range, as a window sorts one partition at a time.
					part := []int32{250, 3, 17, 99, 4, 17 + 1}
					wantPart := slices.Clone(part)
					slices.SortStableFunc(wantPart, func(a, b int32) int {
						if c := full(int(a), int(b)); c != 0 {
							return c
						}
						return int(a - b)
					})
					o.sort(part)
					require.Equal(t, wantPart, part, name)
				}
			}
			first.Release()
			second.Release()
		}
	}
	_, _, ok := intKeys(array.NewNull(3), false, false)
	require.False(t, ok, "no integer form for the null type")
}

// randomKeys draws n values of typ from a small pool with the edge values,
// so that most values repeat.
func randomKeys(mem memory.Allocator, rng *rand.Rand, typ arrow.DataType, n int, nulls bool) arrow.Array {
	b := array.NewBuilder(mem, typ)
	defer b.Release()
	for range n {
		if nulls && rng.IntN(5) == 0 {
			b.AppendNull()
			continue
		}
		k := rng.IntN(8)
		ints := []int64{math.MinInt64, -1, 0, 1, 2, 1000, math.MaxInt64, -77}
		uints := []uint64{0, 1, 2, 255, 1 << 40, math.MaxUint64, 7, 1 << 63}
		floats := []float64{math.NaN(), math.Inf(-1), math.Inf(1), 0, math.Copysign(0, -1), -1.5, 2.25, 1e300}
		switch b := b.(type) {
		case *array.Int8Builder:
			b.Append(int8(ints[k]))
		case *array.Int16Builder:
			b.Append(int16(ints[k]))
		case *array.Int32Builder:
			b.Append(int32(ints[k]))
		case *array.Int64Builder:
			b.Append(ints[k])
		case *array.Uint8Builder:
			b.Append(uint8(uints[k]))
		case *array.Uint16Builder:
			b.Append(uint16(uints[k]))
		case *array.Uint32Builder:
			b.Append(uint32(uints[k]))
		case *array.Uint64Builder:
			b.Append(uints[k])
		case *array.Float32Builder:
			b.Append(float32(floats[k]))
		case *array.Float64Builder:
			b.Append(floats[k])
		case *array.Date32Builder:
			b.Append(arrow.Date32(int32(ints[k])))
		case *array.Date64Builder:
			b.Append(arrow.Date64(ints[k]))
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(ints[k]))
		case *array.BooleanBuilder:
			b.Append(k%2 == 0)
		}
	}
	return b.NewArray()
}

// TestSelectFirst: the first k elements are the k smallest, for every k,
// on inputs sorted, reversed, random and of one repeated pattern.
func TestSelectFirst(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	byVal := func(a, b int) int { return a - b }
	for _, n := range []int{0, 1, 2, 17, 100, 1000} {
		inputs := map[string][]int{"sorted": {}, "reversed": {}, "random": {}, "sawtooth": {}}
		for i := range n {
			inputs["sorted"] = append(inputs["sorted"], i)
			inputs["reversed"] = append(inputs["reversed"], n-i)
			inputs["random"] = append(inputs["random"], rng.IntN(1<<30)*n+i) // distinct
			inputs["sawtooth"] = append(inputs["sawtooth"], (i%7)*n+i)
		}
		for name, in := range inputs {
			want := append([]int{}, slices.Sorted(slices.Values(in))...)
			for k := 0; k <= n; k += max(1, n/25) {
				v := slices.Clone(in)
				selectFirst(v, k, byVal)
				got := slices.Sorted(slices.Values(v[:k]))
				require.Equal(t, want[:k], append([]int{}, got...), "%s n=%d k=%d", name, n, k)
				require.Equal(t, want, append([]int{}, slices.Sorted(slices.Values(v))...), "a permutation")
			}
		}
	}
}

// TestTopKBar: a top-k sorter fed many batches (enough to select its rows
// and move the cut many times) keeps exactly the first k rows of a stable full sort,
// with ties at the cut, NULLs first or last, both directions, and a second
// key deciding ties, for a first key with an integer form and for a string
// key (cut by its bytes).
func TestTopKBar(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "row", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	rng := rand.New(rand.NewPCG(8, 8))
	const batches, size = 35, 2000
	// Select the rows kept every few batches, so that the cut moves.
	defer func(n int64) { topkRows = n }(topkRows)
	topkRows = 5000
	type row struct {
		k     *int32
		s     string
		row   int64
		null  bool
		snull bool
	}
	var all []row
	var recs []arrow.Record
	for b := range batches {
		kb := array.NewInt32Builder(mem)
		sb := array.NewStringBuilder(mem)
		rb := array.NewInt64Builder(mem)
		for i := range size {
			r := row{row: int64(b*size + i), s: fmt.Sprint(rng.IntN(50))}
			if rng.IntN(10) == 0 {
				kb.AppendNull()
				r.null = true
			} else {
				v := int32(rng.IntN(300) - 150)
				r.k = &v
				kb.Append(v)
			}
			if rng.IntN(20) == 0 {
				r.snull = true
				sb.AppendNull()
			} else {
				sb.Append(r.s)
			}
			rb.Append(r.row)
			all = append(all, r)
		}
		cols := []arrow.Array{kb.NewArray(), sb.NewArray(), rb.NewArray()}
		recs = append(recs, array.NewRecord(schema, cols, size))
		releaseAll(cols)
		kb.Release()
		sb.Release()
		rb.Release()
	}
	// The same rows with s dictionary-encoded, as a Parquet reader gives
	// it: batches share a dictionary, and every seventh has another one.
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	dschema := arrow.NewSchema([]arrow.Field{schema.Field(0), {Name: "s", Type: dictType, Nullable: true}, schema.Field(2)}, nil)
	dictOf := func(reversed bool) arrow.Array {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i := range 50 {
			if reversed {
				i = 49 - i
			}
			b.Append(fmt.Sprint(i))
		}
		return b.NewArray()
	}
	dicts := []arrow.Array{dictOf(false), dictOf(true)}
	var drecs []arrow.Record
	for b, rec := range recs {
		d := dicts[0]
		if b%7 == 6 {
			d = dicts[1]
		}
		pos := map[string]int32{}
		for i := 0; i < d.Len(); i++ {
			pos[d.(*array.String).Value(i)] = int32(i)
		}
		ib := array.NewInt32Builder(mem)
		src := rec.Column(1).(*array.String)
		for i := 0; i < src.Len(); i++ {
			if src.IsNull(i) {
				ib.AppendNull()
			} else {
				ib.Append(pos[src.Value(i)])
			}
		}
		idx := ib.NewArray()
		ib.Release()
		col := array.NewDictionaryArray(dictType, idx, d)
		idx.Release()
		drecs = append(drecs, array.NewRecord(dschema, []arrow.Array{rec.Column(0), col, rec.Column(2)}, rec.NumRows()))
		col.Release()
	}
	releaseAll(dicts)
	defer func() {
		for _, r := range drecs {
			r.Release()
		}
	}()
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, desc := range []bool{false, true} {
		for _, nullsFirst := range []bool{false, true} {
			for _, limit := range []int64{1, 777} {
				for _, enc := range []string{"int", "string", "dictionary"} {
					byString := enc != "int"
					keys := []SortKey{{Expr: expr.Col("k"), Desc: desc, NullsFirst: nullsFirst}, {Expr: expr.Col("s")}}
					if byString {
						keys = []SortKey{{Expr: expr.Col("s"), Desc: desc, NullsFirst: nullsFirst}, {Expr: expr.Col("k")}}
					}
					name := fmt.Sprintf("desc=%v/nullsFirst=%v/limit=%d/%s", desc, nullsFirst, limit, enc)
					// A sorter's schema names the logical type (utf8) of a
					// column whose batches may come dictionary-encoded.
					in := recs
					if enc == "dictionary" {
						in = drecs
					}
					st, err := Sort{Keys: keys, Limit: limit}.NewSorter(schema, mem)
					require.NoError(t, err)
					for _, r := range in {
						require.NoError(t, st.Consume(context.Background(), r))
					}
					require.NotNil(t, st.bar, name)
					require.Equal(t, byString, st.bar.isBin, name)
					if limit == 1 {
						require.Greater(t, st.dropped, int64(len(all)/2), "%s: the cut drops most rows", name)
					}
					out, err := st.Finish(context.Background())
					require.NoError(t, err)
					st.Release()
					got := slices.Clone(out.Column(2).(*array.Int64).Int64Values())
					out.Release()

					want := slices.Clone(all)
					cmpK := func(a, b row, desc, nullsFirst bool) int {
						switch {
						case a.null && b.null:
							return 0
						case a.null != b.null:
							if a.null == nullsFirst {
								return -1
							}
							return 1
						}
						c := int(*a.k) - int(*b.k)
						if desc {
							c = -c
						}
						return c
					}
					cmpS := func(a, b row, desc, nullsFirst bool) int {
						switch {
						case a.snull && b.snull:
							return 0
						case a.snull != b.snull:
							if a.snull == nullsFirst {
								return -1
							}
							return 1
						}
						c := strings.Compare(a.s, b.s)
						if desc {
							c = -c
						}
						return c
					}
					slices.SortStableFunc(want, func(a, b row) int {
						if byString {
							if c := cmpS(a, b, desc, nullsFirst); c != 0 {
								return c
							}
							return cmpK(a, b, false, false)
						}
						if c := cmpK(a, b, desc, nullsFirst); c != 0 {
							return c
						}
						return cmpS(a, b, false, false)
					})
					var wantRows []int64
					for _, r := range want[:limit] {
						wantRows = append(wantRows, r.row)
					}
					require.Equal(t, wantRows, got, name)
				}
			}
		}
	}
}

// TestSorterOrder: a sorter compares as integers its first key and the keys
// after it up to the first one without that form, and the rest in general.
func TestSorterOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{2, 1, 2, 1}, nil)
	b.Field(1).(*array.Float64Builder).AppendValues([]float64{0.5, 0.5, -1, 3}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"b", "a", "c", "a"}, nil)
	rec := b.NewRecord()
	defer rec.Release()
	col := func(c string) SortKey { return SortKey{Expr: expr.Col(c)} }
	cases := []struct {
		keys     []SortKey
		first    bool
		next     int
		rest     bool
		wantRows []int32
	}{
		{[]SortKey{col("i"), col("f"), col("s"), col("i")}, true, 1, true, []int32{1, 3, 2, 0}},
		{[]SortKey{col("f"), col("i")}, true, 1, false, []int32{2, 1, 0, 3}},
		{[]SortKey{col("s"), col("i")}, false, 0, true, []int32{1, 3, 0, 2}},
		{[]SortKey{col("i")}, true, 0, false, []int32{1, 3, 0, 2}},
	}
	for i, c := range cases {
		st, err := Sort{Keys: c.keys, Limit: -1}.NewSorter(schema, mem)
		require.NoError(t, err)
		o, release, err := st.order(rec)
		require.NoError(t, err)
		require.Equal(t, c.first, o.keys != nil, "case %d", i)
		require.Len(t, o.next, c.next, "case %d", i)
		require.Equal(t, c.rest, o.rest != nil, "case %d", i)
		idx := []int32{0, 1, 2, 3}
		o.sort(idx)
		require.Equal(t, c.wantRows, idx, "case %d", i)
		release()
	}
}

// TestRowOrderNullSlots: NULL keys tie with each other whatever their
// slots hold (an expression computes every slot), so the next key, then
// row position, orders them, as the general comparison does.
func TestRowOrderNullSlots(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	// Rows 0, 1 and 3 are NULL with slot values 100, 5 and -3.
	data := memory.NewBufferBytes(arrow.Int64Traits.CastToBytes([]int64{100, 5, 7, -3, 2}))
	valid := memory.NewBufferBytes([]byte{0b10100})
	first := array.NewInt64Data(array.NewData(arrow.PrimitiveTypes.Int64, 5, []*memory.Buffer{valid, data}, nil, 3, 0))
	defer first.Release()
	second := fromInts(mem, []int64{9, 9, 1, 0, 4})
	defer second.Release()
	for _, desc := range []bool{false, true} {
		for _, nullsFirst := range []bool{false, true} {
			keys, rank, ok := intKeys(first, desc, nullsFirst)
			require.True(t, ok)
			c1, err := compareFunc(first, desc, nullsFirst)
			require.NoError(t, err)
			c2, err := compareFunc(second, false, false)
			require.NoError(t, err)
			full := chain([]func(a, b int) int{c1, c2})
			want := []int32{0, 1, 2, 3, 4}
			slices.SortStableFunc(want, func(a, b int32) int { return full(int(a), int(b)) })
			for _, o := range []*rowOrder{
				{full: full, rest: c2, keys: keys, rank: rank},
				{full: full, keys: keys, rank: rank, next: []intKey{{keys: must(intKeys(second, false, false))}}},
			} {
				got := []int32{4, 3, 2, 1, 0}
				o.sort(got)
				require.Equal(t, want, got, "desc=%v nullsFirst=%v", desc, nullsFirst)
			}
		}
	}
}

func must(keys []uint64, _ []uint8, ok bool) []uint64 {
	if !ok {
		panic("no integer form")
	}
	return keys
}

func fromInts(mem memory.Allocator, v []int64) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewArray()
}

// TestTopKNoKeys: a top-k with no sort keys (a frame's OrderBy() with no
// terms, then Limit) keeps the first rows in input order, past the point
// where a sorter compacts.
func TestTopKNoKeys(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	st, err := Sort{Limit: 5}.NewSorter(schema, mem)
	require.NoError(t, err)
	defer st.Release()
	for b := range 5 {
		vals := make([]int64, 20000)
		for i := range vals {
			vals[i] = int64(b*len(vals) + i)
		}
		col := fromInts(mem, vals)
		rec := array.NewRecord(schema, []arrow.Array{col}, int64(len(vals)))
		col.Release()
		require.NoError(t, st.Consume(context.Background(), rec))
		rec.Release()
	}
	out, err := st.Finish(context.Background())
	require.NoError(t, err)
	defer out.Release()
	require.Equal(t, []int64{0, 1, 2, 3, 4}, out.Column(0).(*array.Int64).Int64Values())
}
