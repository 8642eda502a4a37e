package agg

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine/recycle"
)

// TestOneGroup: a global aggregate (every row in group 0 of one) gives what
// the general scatter loops give for the same rows, for every function
// with a single-group path, with and without NULLs, counting for itself or
// sharing its counts, over batches of uneven lengths (empty ones too).
func TestOneGroup(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	funcs := []struct {
		name string
		typ  arrow.DataType
	}{
		{"sum", arrow.PrimitiveTypes.Int8}, {"sum", arrow.PrimitiveTypes.Int32},
		{"sum", arrow.PrimitiveTypes.Uint32}, {"sum", i64},
		{"sum", arrow.PrimitiveTypes.Float32}, {"sum", f64},
		{"avg", arrow.PrimitiveTypes.Int16}, {"avg", f64},
		{"count", f64}, {"count_star", nil},
		{"var_samp", f64}, {"stddev_pop", arrow.PrimitiveTypes.Int32},
	}
	for _, fc := range funcs {
		for _, nulls := range []bool{false, true} {
			for _, share := range []bool{false, true} {
				name := fmt.Sprintf("%s(%v)/nulls=%v/shared=%v", fc.name, fc.typ, nulls, share)
				t.Run(name, func(t *testing.T) {
					var args []arrow.DataType
					if fc.typ != nil {
						args = []arrow.DataType{fc.typ}
					}
					f, err := New(Spec{Func: fc.name}, args)
					require.NoError(t, err)
					one, ref := f.NewAcc(mem), f.NewAcc(mem)
					defer one.Release()
					defer ref.Release()
					var rowsOne, rowsRef *Rows
					if rs, ok := one.(RowSharer); ok && share {
						r1, r2 := &Rows{}, &Rows{}
						if rs.ShareRows(r1) && ref.(RowSharer).ShareRows(r2) {
							rowsOne, rowsRef = r1, r2 // else it keeps no counts (sum)
						}
					}
					rng := rand.New(rand.NewPCG(3, uint64(len(name))))
					for _, n := range []int{0, 1, 3, 4, 1000, 4099, 0, 7} {
						ids := make([]uint32, n) // all group 0
						var cols []arrow.Array
						if fc.typ != nil {
							cols = []arrow.Array{randomColumn(mem, rng, fc.typ, n, nulls)}
						}
						require.NoError(t, one.Update(ids, 1, cols))
						// Two groups, the second never used: the general loops.
						require.NoError(t, ref.Update(ids, 2, cols))
						if rowsOne != nil {
							rowsOne.Add(ids, 1)
							rowsRef.Add(ids, 2)
						}
						releaseAll(cols)
					}
					want := final(t, mem, ref)
					require.Len(t, want, 2)
					requireCells(t, want[:1], final(t, mem, one))
				})
			}
		}
	}
}

// randomColumn is n values of typ (small integers, or floats of very
// different magnitudes that cancel), some NULL when nulls is set.
func randomColumn(mem memory.Allocator, rng *rand.Rand, typ arrow.DataType, n int, nulls bool) arrow.Array {
	b := array.NewBuilder(mem, typ)
	defer b.Release()
	for range n {
		if nulls && rng.IntN(3) == 0 {
			b.AppendNull()
			continue
		}
		x := rng.IntN(255) - 127
		big := []float64{1e16, -1e16, 3e15, -3e15}[rng.IntN(4)]
		switch b := b.(type) {
		case *array.Int8Builder:
			b.Append(int8(x))
		case *array.Int16Builder:
			b.Append(int16(x) * 200)
		case *array.Int32Builder:
			b.Append(int32(x) << 23)
		case *array.Uint32Builder:
			b.Append(uint32(x+127) << 24)
		case *array.Int64Builder:
			b.Append(int64(x) << 40)
		case *array.Float32Builder:
			b.Append(float32(x) / 3)
		case *array.Float64Builder:
			if rng.IntN(2) == 0 {
				b.Append(big)
			} else {
				b.Append(float64(x) / 10)
			}
		}
	}
	return b.NewArray()
}

// TestOneGroupFloatExact: a global float sum over values of wildly
// different magnitudes is the exact sum, rounded once, where a plain sum
// would lose the small values.
func TestOneGroupFloatExact(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	f, err := New(Spec{Func: "sum"}, []arrow.DataType{f64})
	require.NoError(t, err)
	acc := f.NewAcc(mem)
	defer acc.Release()
	rng := rand.New(rand.NewPCG(5, 5))
	exact := new(big.Float).SetPrec(2000)
	plain := 0.0
	for range 4 {
		n := 10_000 + rng.IntN(7)
		b := array.NewFloat64Builder(mem)
		for range n {
			var x float64
			switch rng.IntN(3) {
			case 0:
				x = 1e20
			case 1:
				x = -1e20
			default:
				x = float64(rng.IntN(1000)) / 7
			}
			b.Append(x)
			exact.Add(exact, new(big.Float).SetFloat64(x))
			plain += x
		}
		col := b.NewArray()
		b.Release()
		require.NoError(t, acc.Update(make([]uint32, n), 1, []arrow.Array{col}))
		col.Release()
	}
	want, _ := exact.Float64()
	got := final(t, mem, acc)
	require.Equal(t, want, got[0].(float64), "plain summation gives %v", plain)
	require.Greater(t, math.Abs(plain-want), 1.0, "the values must defeat plain summation")
}

// TestOneGroupBadID: a batch that names group 1 of one group is refused,
// not summed into group 0.
func TestOneGroupBadID(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	for _, name := range []string{"sum", "count"} {
		f, err := New(Spec{Func: name}, []arrow.DataType{f64})
		require.NoError(t, err)
		acc := f.NewAcc(mem)
		col := fromJSON(t, mem, f64, `[1, 2, 3, 4, 5]`)
		err = acc.Update([]uint32{0, 0, 0, 1, 0}, 1, []arrow.Array{col})
		require.ErrorContains(t, err, "group id 1 out of range", name)
		col.Release()
		acc.Release()
	}
}

// TestFloatTotal: the lanes and their combination lose nothing a
// compensated sum keeps: s + c, taken exactly, is the exact sum of the
// values to within n·eps² of their magnitudes.
func TestFloatTotal(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	scales := []float64{1e20, 1e10, 1, 1e-5}
	for trial := range 2000 {
		n := rng.IntN(50)
		v := make([]float64, n)
		exact := new(big.Float).SetPrec(4000)
		abs := 0.0
		for i := range v {
			v[i] = (rng.Float64() - 0.5) * scales[rng.IntN(len(scales))]
			exact.Add(exact, new(big.Float).SetFloat64(v[i]))
			abs += math.Abs(v[i])
		}
		s, c := floatTotal(v)
		got := new(big.Float).SetPrec(4000).SetFloat64(s)
		got.Add(got, new(big.Float).SetFloat64(c))
		diff, _ := new(big.Float).Sub(exact, got).Float64()
		require.LessOrEqualf(t, math.Abs(diff), 1e-25*abs, "trial %d: %v", trial, v)
	}
}

// TestOneGroupMoments: the variance of a global aggregate is accurate where
// a textbook sum of squares cancels away (values far from zero, close
// together), over several batches, at least as accurate as the row-by-row
// update, and zero, not negative, for equal values.
func TestOneGroupMoments(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	f, err := New(Spec{Func: "var_pop"}, []arrow.DataType{f64})
	require.NoError(t, err)
	run := func(batches [][]float64, ngroups int) float64 {
		acc := f.NewAcc(mem)
		defer acc.Release()
		for _, vals := range batches {
			b := array.NewFloat64Builder(mem)
			b.AppendValues(vals, nil)
			col := b.NewArray()
			b.Release()
			require.NoError(t, acc.Update(make([]uint32, len(vals)), ngroups, []arrow.Array{col}))
			col.Release()
		}
		return final(t, mem, acc)[0].(float64)
	}
	rng := rand.New(rand.NewPCG(11, 11))
	var batches [][]float64
	exactSum := new(big.Float).SetPrec(2000)
	var all []float64
	for _, n := range []int{5, 1000, 3, 4096} {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = 1e9 + float64(rng.IntN(1000))/10
			exactSum.Add(exactSum, new(big.Float).SetFloat64(vals[i]))
		}
		all = append(all, vals...)
		batches = append(batches, vals)
	}
	mean := new(big.Float).Quo(exactSum, new(big.Float).SetInt64(int64(len(all))))
	ss := new(big.Float).SetPrec(2000)
	for _, x := range all {
		d := new(big.Float).SetPrec(2000).Sub(new(big.Float).SetFloat64(x), mean)
		ss.Add(ss, d.Mul(d, d))
	}
	want, _ := ss.Quo(ss, new(big.Float).SetInt64(int64(len(all)))).Float64()
	// Two groups take the row-by-row Welford update: 4.8e-10 off here.
	fast, welford := math.Abs(run(batches, 1)-want), math.Abs(run(batches, 2)-want)
	require.LessOrEqual(t, fast, welford)
	require.InEpsilon(t, want, run(batches, 1), 1e-11)
	require.Equal(t, 0.0, run([][]float64{{0.1, 0.1, 0.1}, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}}, 1))
}

// TestDistinctDictionaries: count(DISTINCT) over dictionary-encoded
// batches, several sharing one dictionary (whose entries' ids it keeps)
// and then one with the same strings in another order and a new one, counts
// each string once per group, and holds no dictionary after Release.
func TestDistinctDictionaries(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: utf8}
	f, err := New(Spec{Func: "count", Distinct: true}, []arrow.DataType{dictType})
	require.NoError(t, err)
	acc := f.NewAcc(mem)
	batch := func(dict arrow.Array, codes string) arrow.Array {
		idx := fromJSON(t, mem, arrow.PrimitiveTypes.Int32, codes)
		defer idx.Release()
		return array.NewDictionaryArray(dictType, idx, dict)
	}
	d1 := fromJSON(t, mem, utf8, `["a", "b", "c"]`)
	d2 := fromJSON(t, mem, utf8, `["c", "a", "d"]`)
	steps := []struct {
		dict   arrow.Array
		codes  string
		groups []uint32
	}{
		{d1, `[0, 0, 1, null]`, []uint32{0, 1, 0, 1}}, // g0: a b; g1: a
		{d1, `[2, 1, 2]`, []uint32{1, 1, 0}},          // g0: + c; g1: + c b
		{d2, `[0, 1, 2, 2]`, []uint32{0, 1, 1, 0}},    // g0: c (seen) d; g1: a (seen) d
	}
	for _, s := range steps {
		col := batch(s.dict, s.codes)
		require.NoError(t, acc.Update(s.groups, 2, []arrow.Array{col}))
		col.Release()
	}
	d1.Release()
	d2.Release()
	require.Equal(t, []any{int64(4), int64(4)}, final(t, mem, acc))
	acc.Release()
}
