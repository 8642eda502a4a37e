package agg

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// extremes are int64 values that overflow narrow int64 sums in both
// directions and cancel again.
var extremes = []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1, -1, 1, 0, 1 << 62, -(1 << 62)}

// extremes32 overflow the 32-bit narrow sums of small integers both ways.
var extremes32 = []int64{math.MaxInt32, math.MinInt32, math.MaxInt32 - 1, math.MinInt32 + 1, -1, 1, 0, 1 << 30, -(1 << 30)}

// bigSums is the reference: exact per-group sums and counts of the non-NULL
// values (valid nil: all valid).
func bigSums(groups []uint32, vals []*big.Int, n int) ([]*big.Int, []int64) {
	sums := make([]*big.Int, n)
	cnt := make([]int64, n)
	for g := range sums {
		sums[g] = new(big.Int)
	}
	for i, g := range groups {
		if vals[i] != nil {
			sums[g].Add(sums[g], vals[i])
			cnt[g]++
		}
	}
	return sums, cnt
}

// stateSums reads an integer sum's partial state as big.Ints and counts.
func stateSums(t *testing.T, mem memory.Allocator, acc Acc) ([]*big.Int, []int64) {
	t.Helper()
	st, err := acc.State(mem)
	require.NoError(t, err)
	defer releaseAll(st)
	d := st[0].(*array.Decimal128)
	c := st[1].(*array.Int64)
	sums := make([]*big.Int, d.Len())
	cnt := make([]int64, d.Len())
	for i := range sums {
		sums[i] = d.Value(i).BigInt()
		cnt[i] = c.Value(i)
	}
	return sums, cnt
}

func TestIntSumNarrowExact(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	u64 := arrow.PrimitiveTypes.Uint64
	i32 := arrow.PrimitiveTypes.Int32
	i16 := arrow.PrimitiveTypes.Int16
	maxI64 := big.NewInt(math.MaxInt64)
	minI64 := big.NewInt(math.MinInt64)
	cases := []struct {
		name   string
		typ    arrow.DataType
		groups int
		nulls  bool
		widen  int // batch before which counts are made to look near MaxUint32 (-1: never)
	}{
		{"int64 one group", i64, 1, false, -1},
		{"int64 groups nulls", i64, 7, true, -1},
		{"int64 widened mid-way", i64, 7, true, 2},
		{"uint64 groups", u64, 5, false, -1},
		{"uint64 widened", u64, 5, true, 1},
		{"int32 one group", i32, 1, false, -1},
		{"int32 groups nulls", i32, 7, true, -1},
		{"int32 widened mid-way", i32, 7, true, 2},
		{"int16 groups", i16, 3, false, -1},
	}
	for _, tc := range cases {
		for _, fn := range []string{"sum", "avg"} {
			t.Run(tc.name+"/"+fn, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(tc.groups), 9))
				f, err := New(Spec{Func: fn}, []arrow.DataType{tc.typ})
				require.NoError(t, err)
				acc := f.NewAcc(mem)
				defer acc.Release()
				var allG []uint32
				var allV []*big.Int
				for batch := range 4 {
					if batch == tc.widen {
						acc.(*intSumAcc).lim.rows = math.MaxUint32 - 3
					}
					rows := 50 + batch
					groups := make([]uint32, rows)
					var a arrow.Array
					switch tc.typ {
					case i64:
						b := array.NewInt64Builder(mem)
						for i := range groups {
							groups[i] = uint32(rng.IntN(tc.groups))
							if tc.nulls && rng.IntN(5) == 0 {
								b.AppendNull()
								allV = append(allV, nil)
								continue
							}
							x := extremes[rng.IntN(len(extremes))]
							b.Append(x)
							allV = append(allV, big.NewInt(x))
						}
						a = b.NewArray()
						b.Release()
					case i32, i16:
						b32 := array.NewInt32Builder(mem)
						b16 := array.NewInt16Builder(mem)
						for i := range groups {
							groups[i] = uint32(rng.IntN(tc.groups))
							if tc.nulls && rng.IntN(5) == 0 {
								b32.AppendNull()
								b16.AppendNull()
								allV = append(allV, nil)
								continue
							}
							x := extremes32[rng.IntN(len(extremes32))]
							if tc.typ == i16 {
								x = int64(int16(x)) // wraps to extremes of int16
							}
							b32.Append(int32(x))
							b16.Append(int16(x))
							allV = append(allV, big.NewInt(x))
						}
						if tc.typ == i16 {
							a = b16.NewArray()
						} else {
							a = b32.NewArray()
						}
						b32.Release()
						b16.Release()
					default:
						b := array.NewUint64Builder(mem)
						for i := range groups {
							groups[i] = uint32(rng.IntN(tc.groups))
							if tc.nulls && rng.IntN(5) == 0 {
								b.AppendNull()
								allV = append(allV, nil)
								continue
							}
							x := uint64(extremes[rng.IntN(len(extremes))])
							b.Append(x)
							allV = append(allV, new(big.Int).SetUint64(x))
						}
						a = b.NewArray()
						b.Release()
					}
					allG = append(allG, groups...)
					err := acc.Update(groups, tc.groups, []arrow.Array{a})
					a.Release()
					require.NoError(t, err)
				}
				require.Equal(t, tc.widen >= 0, acc.(*intSumAcc).lim.wide)
				if tc.widen < 0 && tc.typ != i16 { // 200 int16 values cannot pass int32
					require.NotNil(t, acc.(*intSumAcc).ovf, "no overflow of the narrow sums was exercised")
				}
				wantS, wantN := bigSums(allG, allV, tc.groups)
				gotS, gotN := stateSums(t, mem, acc)
				if fn == "sum" {
					// sum keeps only whether a group has a value.
					for g := range wantN {
						require.Equalf(t, wantN[g] > 0, gotN[g] > 0, "group %d has a value", g)
					}
				} else {
					require.Equal(t, wantN, gotN)
				}
				for g := range wantS {
					require.Zerof(t, wantS[g].Cmp(gotS[g]), "group %d: %s vs %s", g, wantS[g], gotS[g])
				}
				res, err := acc.Final(mem)
				fits := true
				for g := range wantS {
					fits = fits && wantS[g].Cmp(maxI64) <= 0 && wantS[g].Cmp(minI64) >= 0
				}
				if fn == "sum" && !fits {
					require.ErrorIs(t, err, ErrOverflow)
					return
				}
				require.NoError(t, err)
				defer res.Release()
				got := cells(res)
				for g := range wantS {
					switch {
					case wantN[g] == 0:
						require.Nil(t, got[g])
					case fn == "sum":
						require.Equal(t, wantS[g].Int64(), got[g])
					default:
						w, _ := new(big.Float).Quo(new(big.Float).SetInt(wantS[g]), big.NewFloat(float64(wantN[g]))).Float64()
						require.InDelta(t, w, got[g], math.Abs(w)*1e-12)
					}
				}
			})
		}
	}
}

func TestIntSumNarrowCancels(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	cases := []struct {
		name string
		js   string
	}{
		{"max max min min", `["9223372036854775807", "9223372036854775807", "-9223372036854775808", "-9223372036854775808"]`},
		{"max plus one minus one", `["9223372036854775807", 1, -1]`},
		{"min minus one plus one", `["-9223372036854775808", -1, 1]`},
		{"min min max max", `["-9223372036854775808", "-9223372036854775808", "9223372036854775807", "9223372036854775807", 2]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(Spec{Func: "sum"}, []arrow.DataType{i64})
			require.NoError(t, err)
			a := fromJSON(t, mem, i64, tc.js)
			defer a.Release()
			acc := f.NewAcc(mem)
			defer acc.Release()
			require.NoError(t, acc.Update(make([]uint32, a.Len()), 1, []arrow.Array{a}))
			want := new(big.Int)
			for _, x := range a.(*array.Int64).Int64Values() {
				want.Add(want, big.NewInt(x))
			}
			require.True(t, want.IsInt64())
			requireCells(t, []any{want.Int64()}, final(t, mem, acc))
		})
	}
}

// TestNarrowWiden checks that accumulators whose counts are about to pass
// MaxUint32 (or that merge) switch layouts without changing any result.
func TestNarrowWiden(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	cases := []struct {
		spec Spec
		typ  arrow.DataType
	}{
		{Spec{Func: "count_star"}, nil},
		{Spec{Func: "count"}, f64},
		{Spec{Func: "sum"}, f64},
		{Spec{Func: "avg"}, arrow.PrimitiveTypes.Float32},
		{Spec{Func: "sum"}, arrow.PrimitiveTypes.Int32},
		{Spec{Func: "avg"}, arrow.PrimitiveTypes.Uint8},
	}
	for _, tc := range cases {
		name := tc.spec.Func
		var types []arrow.DataType
		if tc.typ != nil {
			name += "_" + tc.typ.String()
			types = []arrow.DataType{tc.typ}
		}
		t.Run(name, func(t *testing.T) {
			f, err := New(tc.spec, types)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(1, 1))
			const ng = 6
			var batches [][]arrow.Array
			var groups [][]uint32
			for b := range 4 {
				gs := make([]uint32, 20+b)
				for i := range gs {
					gs[i] = uint32(rng.IntN(ng - 1)) // group ng-1 stays empty
				}
				groups = append(groups, gs)
				if tc.typ == nil {
					batches = append(batches, nil)
					continue
				}
				js := "["
				for i := range gs {
					if i > 0 {
						js += ","
					}
					if rng.IntN(4) == 0 {
						js += "null"
					} else {
						js += []string{"1", "2.5", "7", "100"}[rng.IntN(4)]
					}
				}
				if tc.typ.ID() != arrow.FLOAT64 && tc.typ.ID() != arrow.FLOAT32 {
					js = strings.ReplaceAll(js, "2.5", "3")
				}
				batches = append(batches, []arrow.Array{fromJSON(t, mem, tc.typ, js+"]")})
			}
			defer func() {
				for _, b := range batches {
					releaseAll(b)
				}
			}()
			run := func(widenAt int, merge bool) []any {
				acc := f.NewAcc(mem)
				defer acc.Release()
				for b := range batches {
					if b == widenAt {
						narrowOf(acc).rows = math.MaxUint32 - 10
					}
					require.NoError(t, acc.Update(groups[b], ng, batches[b]))
				}
				if widenAt >= 0 {
					require.True(t, narrowOf(acc).wide)
				}
				if !merge {
					return final(t, mem, acc)
				}
				dst := f.NewAcc(mem)
				defer dst.Release()
				mergeInto(t, mem, f, acc, dst, nil, ng)
				require.True(t, narrowOf(dst).wide)
				return final(t, mem, dst)
			}
			want := run(-1, false)
			fresh := f.NewAcc(mem)
			require.False(t, narrowOf(fresh).wide)
			fresh.Release()
			requireCells(t, want, run(0, false), "widened first")
			requireCells(t, want, run(2, false), "widened mid-way")
			requireCells(t, want, run(-1, true), "merged")
		})
	}
}

func narrowOf(acc Acc) *narrowing {
	switch a := acc.(type) {
	case *countAcc:
		return &a.lim
	case *intSumAcc:
		return &a.lim
	case *floatSumAcc:
		return &a.lim
	}
	panic("no narrowing")
}
