package agg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine/recycle"
)

// sharedCounts returns the counts of a RowSharer's narrow layout (nil when
// the accumulator has none).
func sharedCounts(acc Acc) (*narrowCounts, *narrowing) {
	switch a := acc.(type) {
	case *intSumAcc:
		return &a.cnt, &a.lim
	case *floatSumAcc:
		return &a.cnt, &a.lim
	case *countAcc:
		return &a.cnt, &a.lim
	}
	return nil, nil
}

// TestRowSharing: an accumulator that takes its counts from shared Rows
// gives the same states and results as one that counts for itself, with
// NULLs, groups that only ever see NULLs, new groups in later batches, a
// switch to the wide layout mid-way and a Merge after sharing; while it
// shares, it keeps no count per value.
func TestRowSharing(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	i32 := arrow.PrimitiveTypes.Int32
	funcs := []struct {
		name string
		typ  arrow.DataType
	}{
		{"avg", i32}, {"avg", i64}, {"avg", f64}, {"count", i64}, {"count_star", nil},
	}
	cases := []struct {
		name  string
		nulls bool
		widen int  // batch before which counts are made to look near MaxUint32 (-1: never)
		merge bool // merge another accumulator's state in at the end
	}{
		{"no NULLs", false, -1, false},
		{"NULLs", true, -1, false},
		{"widened mid-way", true, 2, false},
		{"merged", true, -1, true},
	}
	for _, fc := range funcs {
		for _, tc := range cases {
			t.Run(fc.name+"/"+tc.name, func(t *testing.T) {
				var args []arrow.DataType
				if fc.typ != nil {
					args = []arrow.DataType{fc.typ}
				}
				f, err := New(Spec{Func: fc.name}, args)
				require.NoError(t, err)
				own, shared := f.NewAcc(mem), f.NewAcc(mem)
				defer own.Release()
				defer shared.Release()
				rows := &Rows{}
				require.True(t, shared.(RowSharer).ShareRows(rows))
				cnt, lim := sharedCounts(shared)
				require.NotNil(t, cnt.rows, "sharing")
				rng := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
				groups := 0
				for batch := range 4 {
					if batch == tc.widen {
						lim.rows = math.MaxUint32 - 3
					}
					// Group 0 only ever sees NULLs (when there are any);
					// each batch brings new groups.
					groups += 3
					n := 40 + batch
					ids := make([]uint32, n)
					var cols []arrow.Array
					if fc.typ != nil {
						b := array.NewBuilder(mem, fc.typ)
						for i := range ids {
							ids[i] = uint32(rng.IntN(groups))
							if tc.nulls && (ids[i] == 0 || rng.IntN(4) == 0) {
								b.AppendNull()
								continue
							}
							x := rng.IntN(1000) - 500
							switch b := b.(type) {
							case *array.Int32Builder:
								b.Append(int32(x))
							case *array.Int64Builder:
								b.Append(int64(x) << 40)
							case *array.Float64Builder:
								b.Append(float64(x) / 7)
							}
						}
						cols = []arrow.Array{b.NewArray()}
						b.Release()
					} else {
						for i := range ids {
							ids[i] = uint32(rng.IntN(groups))
						}
					}
					require.NoError(t, own.Update(ids, groups, cols))
					require.NoError(t, shared.Update(ids, groups, cols))
					rows.Add(ids, groups)
					releaseAll(cols)
					if !lim.wide {
						require.Nil(t, cnt.own, "no count per value while sharing")
					}
				}
				require.Equal(t, tc.widen >= 0, lim.wide)
				if tc.merge {
					other := f.NewAcc(mem)
					defer other.Release()
					ids := []uint32{0, 1, 2}
					var cols []arrow.Array
					if fc.typ != nil {
						cols = []arrow.Array{fromJSON(t, mem, fc.typ, `[3, null, 5]`)}
					}
					require.NoError(t, other.Update(ids, 3, cols))
					releaseAll(cols)
					mergeInto(t, mem, f, other, own, nil, groups)
					mergeInto(t, mem, f, other, shared, nil, groups)
				}
				wantState, err := own.State(mem)
				require.NoError(t, err)
				defer releaseAll(wantState)
				gotState, err := shared.State(mem)
				require.NoError(t, err)
				defer releaseAll(gotState)
				require.Len(t, gotState, len(wantState))
				for i := range wantState {
					requireCells(t, cells(wantState[i]), cells(gotState[i]), "state column %d", i)
				}
				requireCells(t, final(t, mem, own), final(t, mem, shared))
			})
		}
	}
}

// TestSumPresence: sum counts nothing, it keeps only whether each group has
// a value, and only once a group might lack one: groups that see only NULLs,
// groups made without a row, a switch to the wide layout mid-way and a Merge
// still give NULL exactly where no value was summed.
func TestSumPresence(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	cases := []struct {
		name   string
		nulls  bool
		norows bool // each batch makes one group that gets no row
		widen  int  // batch before which counts are made to look near MaxUint32 (-1: never)
		merge  bool
	}{
		{"no NULLs", false, false, -1, false},
		{"NULLs", true, false, -1, false},
		{"groups without rows", false, true, -1, false},
		{"widened mid-way", true, false, 2, false},
		{"merged", true, true, -1, true},
	}
	for _, typ := range []arrow.DataType{arrow.PrimitiveTypes.Int32, i64, f64} {
		for _, tc := range cases {
			t.Run(typ.String()+"/"+tc.name, func(t *testing.T) {
				f, err := New(Spec{Func: "sum"}, []arrow.DataType{typ})
				require.NoError(t, err)
				acc := f.NewAcc(mem)
				defer acc.Release()
				require.False(t, acc.(RowSharer).ShareRows(&Rows{}), "sum needs no counts")
				cnt, lim := sharedCounts(acc)
				require.Nil(t, cnt.rows, "sum does not share counts")
				rng := rand.New(rand.NewPCG(11, uint64(len(tc.name))))
				var has []bool
				var sums []float64
				groups := 0
				for batch := range 4 {
					if batch == tc.widen {
						lim.rows = math.MaxUint32 - 3
					}
					groups += 3
					has = append(has, false, false, false)
					sums = append(sums, 0, 0, 0)
					used := groups
					if tc.norows {
						used-- // the newest group gets no row
					}
					n := 40 + batch
					ids := make([]uint32, n)
					b := array.NewBuilder(mem, typ)
					for i := range ids {
						ids[i] = uint32(rng.IntN(used))
						if i < 2 {
							ids[i] = uint32(groups - 3 + i) // the new groups appear
						}
						if tc.nulls && (ids[i] == 0 || rng.IntN(4) == 0) {
							b.AppendNull()
							continue
						}
						x := rng.IntN(1000) - 500
						v := float64(x)
						switch b := b.(type) {
						case *array.Int32Builder:
							b.Append(int32(x))
						case *array.Int64Builder:
							b.Append(int64(x))
						case *array.Float64Builder:
							v /= 8
							b.Append(v)
						}
						has[ids[i]] = true
						sums[ids[i]] += v
					}
					col := b.NewArray()
					b.Release()
					require.NoError(t, acc.Update(ids, groups, []arrow.Array{col}))
					col.Release()
					if !tc.nulls && !tc.norows && tc.widen < 0 {
						require.Nil(t, cnt.has, "nothing kept per group while every group has a value")
						require.Nil(t, cnt.own, "no count per value")
					}
				}
				if tc.merge {
					other := f.NewAcc(mem)
					defer other.Release()
					col := fromJSON(t, mem, typ, `[3, null, 5]`)
					require.NoError(t, other.Update([]uint32{0, 1, 2}, 3, []arrow.Array{col}))
					col.Release()
					mergeInto(t, mem, f, other, acc, nil, groups)
					for g, x := range map[int]float64{0: 3, 2: 5} {
						has[g] = true
						sums[g] += x
					}
				}
				st, err := acc.State(mem)
				require.NoError(t, err)
				defer releaseAll(st)
				counts := st[len(st)-1].(*array.Int64)
				got := final(t, mem, acc)
				require.Len(t, got, groups)
				for g := range groups {
					require.Equalf(t, has[g], counts.Value(g) > 0, "group %d: state says it has a value", g)
					if !has[g] {
						require.Nilf(t, got[g], "group %d has no value", g)
						continue
					}
					require.NotNilf(t, got[g], "group %d has a value", g)
					switch v := got[g].(type) {
					case int64:
						require.Equalf(t, int64(sums[g]), v, "group %d", g)
					case float64:
						require.InDeltaf(t, sums[g], v, 1e-9, "group %d", g)
					}
				}
			})
		}
	}
}

// TestRowsWiden: Rows switch to int64 counts before one could pass
// MaxUint32, keeping the counts so far.
func TestRowsWiden(t *testing.T) {
	r := &Rows{}
	r.Add([]uint32{0, 1, 1}, 3)
	require.False(t, r.lim.wide)
	r.lim.rows = math.MaxUint32 - 2
	r.Add([]uint32{2, 1, 1}, 3)
	require.True(t, r.lim.wide)
	require.Equal(t, []int64{1, 4, 1}, []int64{r.At(0), r.At(1), r.At(2)})
	require.Zero(t, r.At(3), "a group not seen")
	require.Equal(t, int64(3*8), r.Bytes())
}

// TestReserve: an accumulator that reserved room for its groups grows to
// them, by Update and then Merge (which switches to the wide layout),
// without reallocating its state, and gives the same results as one that
// did not reserve.
func TestReserve(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	const n = 1000
	// state returns the first element's address of the accumulator's
	// current state array.
	state := func(acc Acc) any {
		switch a := acc.(type) {
		case *intSumAcc:
			if a.lim.wide {
				return &a.st[0]
			}
			return &a.s[0]
		case *floatSumAcc:
			if a.lim.wide {
				return &a.st[0]
			}
			return &a.sc[0]
		case *countAcc:
			if a.lim.wide {
				return &a.c[0]
			}
			return &a.cnt.own[0]
		}
		return nil
	}
	for _, tc := range []struct {
		name string
		typ  arrow.DataType
	}{{"sum", i64}, {"avg", i64}, {"sum", f64}, {"count", i64}, {"count_star", nil}} {
		t.Run(tc.name+"/"+fmt.Sprint(tc.typ), func(t *testing.T) {
			var args []arrow.DataType
			if tc.typ != nil {
				args = []arrow.DataType{tc.typ}
			}
			f, err := New(Spec{Func: tc.name}, args)
			require.NoError(t, err)
			plain, reserved := f.NewAcc(mem), f.NewAcc(mem)
			defer plain.Release()
			defer reserved.Release()
			reserved.(Reserver).Reserve(n)
			var first any
			for lo := 0; lo < n; lo += 100 {
				ids := make([]uint32, 100)
				for i := range ids {
					ids[i] = uint32(lo + i)
				}
				var cols []arrow.Array
				if tc.typ != nil {
					cols = []arrow.Array{fromJSON(t, mem, tc.typ, repeatJSON("2, null", 50))}
				}
				require.NoError(t, plain.Update(ids, lo+100, cols))
				require.NoError(t, reserved.Update(ids, lo+100, cols))
				releaseAll(cols)
				if first == nil {
					first = state(reserved)
				}
				require.Same(t, first, state(reserved), "no reallocation at %d groups", lo+100)
			}
			// A Merge switches to the wide layout, inheriting the room.
			other := f.NewAcc(mem)
			defer other.Release()
			ids := make([]uint32, n)
			for i := range ids {
				ids[i] = uint32(i)
			}
			var cols []arrow.Array
			if tc.typ != nil {
				cols = []arrow.Array{fromJSON(t, mem, tc.typ, repeatJSON("3", n))}
			}
			require.NoError(t, other.Update(ids, n, cols))
			releaseAll(cols)
			mergeInto(t, mem, f, other, plain, nil, n)
			mergeInto(t, mem, f, other, reserved, nil, n)
			wide := state(reserved)
			require.Equal(t, n, reflectCap(reserved), "the wide layout kept the reserved room")
			mergeInto(t, mem, f, other, plain, nil, n)
			mergeInto(t, mem, f, other, reserved, nil, n)
			require.Same(t, wide, state(reserved))
			requireCells(t, final(t, mem, plain), final(t, mem, reserved))
		})
	}
}

// repeatJSON returns a JSON array of k copies of items.
func repeatJSON(items string, k int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(items+", ", k), ", ") + "]"
}

// reflectCap returns the capacity of an accumulator's current state array.
func reflectCap(acc Acc) int {
	switch a := acc.(type) {
	case *intSumAcc:
		if a.lim.wide {
			return cap(a.st)
		}
		return cap(a.s)
	case *floatSumAcc:
		if a.lim.wide {
			return cap(a.st)
		}
		return cap(a.sc)
	case *countAcc:
		if a.lim.wide {
			return cap(a.c)
		}
		return cap(a.cnt.own)
	}
	return -1
}
