package agg

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

type aggCase struct {
	name   string
	spec   Spec
	types  []arrow.DataType
	args   []string // one JSON column per argument
	groups []uint32
	n      int
	want   string // JSON of the result column
}

var (
	dec10_2 = &arrow.Decimal128Type{Precision: 10, Scale: 2}
	dec38_2 = &arrow.Decimal128Type{Precision: 38, Scale: 2}
	tsMs    = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
)

func aggCases() []aggCase {
	g5 := []uint32{0, 0, 0, 1, 1}
	return []aggCase{
		{"count_star/groups", Spec{Func: "count_star"}, nil, nil, []uint32{0, 1, 0, 2}, 3, `[2,1,1]`},
		{"count_star/empty", Spec{Func: "count_star"}, nil, nil, []uint32{}, 0, `[]`},
		{"count_star/no rows", Spec{Func: "count_star"}, nil, nil, []uint32{}, 2, `[0,0]`},
		{"count/nulls", Spec{Func: "count"}, []arrow.DataType{i64}, []string{`[1,null,3,null]`}, []uint32{0, 0, 1, 1}, 3, `[1,1,0]`},
		{"count/utf8", Spec{Func: "count"}, []arrow.DataType{utf8}, []string{`["a",null,"b","a","c"]`}, g5, 2, `[2,2]`},
		{"count/one row", Spec{Func: "count"}, []arrow.DataType{f64}, []string{`[1.5]`}, []uint32{0}, 1, `[1]`},
		{"count/empty", Spec{Func: "count"}, []arrow.DataType{f64}, []string{`[]`}, []uint32{}, 0, `[]`},
		{"count distinct/int64", Spec{Func: "count", Distinct: true}, []arrow.DataType{i64}, []string{`[1,1,2,null,3,3]`}, []uint32{0, 0, 0, 0, 1, 1}, 3, `[2,1,0]`},
		{"count distinct/utf8", Spec{Func: "count", Distinct: true}, []arrow.DataType{utf8}, []string{`["a","b","a",null,"b"]`}, g5, 2, `[2,1]`},
		{"count distinct/float64", Spec{Func: "count", Distinct: true}, []arrow.DataType{f64}, []string{`[0.0,-0.0,1.5,1.5,2]`}, g5, 2, `[2,2]`},
		{"count distinct/bool", Spec{Func: "count", Distinct: true}, []arrow.DataType{arrow.FixedWidthTypes.Boolean}, []string{`[true,true,false,null,true]`}, g5, 2, `[2,1]`},
		{"count distinct/decimal", Spec{Func: "count", Distinct: true}, []arrow.DataType{dec10_2}, []string{`["1.10","1.1","2",null,null]`}, g5, 2, `[2,0]`},
		{"count distinct/empty", Spec{Func: "count", Distinct: true}, []arrow.DataType{utf8}, []string{`[]`}, []uint32{}, 0, `[]`},
		{"sum/int64", Spec{Func: "sum"}, []arrow.DataType{i64}, []string{`[1,2,null,4,null]`}, []uint32{0, 0, 1, 1, 2}, 4, `[3,4,null,null]`},
		{"sum/int8 widens", Spec{Func: "sum"}, []arrow.DataType{arrow.PrimitiveTypes.Int8}, []string{`[127,127,-128]`}, []uint32{0, 0, 1}, 2, `[254,-128]`},
		{"sum/uint32", Spec{Func: "sum"}, []arrow.DataType{arrow.PrimitiveTypes.Uint32}, []string{`[4294967295,4294967295]`}, []uint32{0, 0}, 1, `[8589934590]`},
		{"sum/int64 transient overflow", Spec{Func: "sum"}, []arrow.DataType{i64}, []string{`["9223372036854775807",1,-2]`}, []uint32{0, 0, 0}, 1, `["9223372036854775806"]`},
		{"sum/float64", Spec{Func: "sum"}, []arrow.DataType{f64}, []string{`[0.5,0.25,null,1e100,1,-1e100]`}, []uint32{0, 0, 1, 2, 2, 2}, 3, `[0.75,null,1]`},
		{"sum/float32", Spec{Func: "sum"}, []arrow.DataType{arrow.PrimitiveTypes.Float32}, []string{`[0.5,0.25]`}, []uint32{0, 0}, 1, `[0.75]`},
		{"sum/decimal", Spec{Func: "sum"}, []arrow.DataType{dec10_2}, []string{`["1.25","2.50",null,"-0.01"]`}, []uint32{0, 0, 1, 2}, 3, `["3.75",null,"-0.01"]`},
		{"sum/empty", Spec{Func: "sum"}, []arrow.DataType{i64}, []string{`[]`}, []uint32{}, 0, `[]`},
		{"sum distinct/int64", Spec{Func: "sum", Distinct: true}, []arrow.DataType{i64}, []string{`[1,1,2,null,null]`}, g5, 2, `[3,null]`},
		{"sum distinct/float64", Spec{Func: "sum", Distinct: true}, []arrow.DataType{f64}, []string{`[1.5,1.5,2,4,4]`}, g5, 2, `[3.5,4]`},
		{"avg/int64", Spec{Func: "avg"}, []arrow.DataType{i64}, []string{`[1,2,null,4]`}, []uint32{0, 0, 1, 1}, 3, `[1.5,4,null]`},
		{"avg/int64 large", Spec{Func: "avg"}, []arrow.DataType{i64}, []string{`["9223372036854775807","9223372036854775807"]`}, []uint32{0, 0}, 1, `[9223372036854775807]`},
		{"avg/float64", Spec{Func: "avg"}, []arrow.DataType{f64}, []string{`[1,2,4]`}, []uint32{0, 0, 0}, 1, `[2.3333333333333335]`},
		{"avg/decimal", Spec{Func: "avg"}, []arrow.DataType{dec10_2}, []string{`["1.00","2.00",null]`}, []uint32{0, 0, 1}, 2, `[1.5,null]`},
		{"avg distinct/int64", Spec{Func: "avg", Distinct: true}, []arrow.DataType{i64}, []string{`[1,1,3,null,null]`}, g5, 2, `[2,null]`},
		{"min/int64", Spec{Func: "min"}, []arrow.DataType{i64}, []string{`[5,-3,null,null,7]`}, g5, 3, `[-3,7,null]`},
		{"max/int64", Spec{Func: "max"}, []arrow.DataType{i64}, []string{`[5,-3,null,null,7]`}, g5, 3, `[5,7,null]`},
		{"min/uint8", Spec{Func: "min"}, []arrow.DataType{arrow.PrimitiveTypes.Uint8}, []string{`[255,3,200,0,9]`}, g5, 2, `[3,0]`},
		{"max/int16", Spec{Func: "max"}, []arrow.DataType{arrow.PrimitiveTypes.Int16}, []string{`[-32768,-5,-32768,-32768,-32768]`}, g5, 2, `[-5,-32768]`},
		{"min/float64", Spec{Func: "min"}, []arrow.DataType{f64}, []string{`[1.5,-2.5,null,3,3]`}, g5, 2, `[-2.5,3]`},
		{"max/float32", Spec{Func: "max"}, []arrow.DataType{arrow.PrimitiveTypes.Float32}, []string{`[1.5,-2.5,null,-3,-4]`}, g5, 2, `[1.5,-3]`},
		{"min/utf8", Spec{Func: "min"}, []arrow.DataType{utf8}, []string{`["b","a",null,"c","ab"]`}, g5, 3, `["a","ab",null]`},
		{"max/utf8", Spec{Func: "max"}, []arrow.DataType{utf8}, []string{`["b","a",null,"c","ab"]`}, g5, 3, `["b","c",null]`},
		{"min/utf8 all null", Spec{Func: "min"}, []arrow.DataType{utf8}, []string{`[null,null]`}, []uint32{0, 0}, 1, `[null]`},
		{"max/utf8 empty string", Spec{Func: "max"}, []arrow.DataType{utf8}, []string{`["",null]`}, []uint32{0, 0}, 1, `[""]`},
		{"min/utf8 long then short", Spec{Func: "min"}, []arrow.DataType{utf8}, []string{`["zzzzzzzz","yy","x","wwwwwwwwwwww"]`}, []uint32{0, 0, 0, 0}, 1, `["wwwwwwwwwwww"]`},
		{"min/utf8 prefixes", Spec{Func: "min"}, []arrow.DataType{utf8}, []string{`["abcdefgh1","abcdefgh","ab\u0000","ab","abcdefgi","b"]`}, []uint32{1, 1, 0, 0, 2, 2}, 3, `["ab","abcdefgh","abcdefgi"]`},
		{"max/utf8 prefixes", Spec{Func: "max"}, []arrow.DataType{utf8}, []string{`["abcdefgh","abcdefgh1","ab","ab\u0000","abcdefgi","b"]`}, []uint32{1, 1, 0, 0, 2, 2}, 3, `["ab\u0000","abcdefgh1","b"]`},
		{"min/binary", Spec{Func: "min"}, []arrow.DataType{arrow.BinaryTypes.Binary}, []string{`["Yg==","YQ==",null]`}, []uint32{0, 0, 1}, 2, `["YQ==",null]`},
		{"min/bool", Spec{Func: "min"}, []arrow.DataType{arrow.FixedWidthTypes.Boolean}, []string{`[true,false,null,true,null]`}, g5, 3, `[false,true,null]`},
		{"max/bool", Spec{Func: "max"}, []arrow.DataType{arrow.FixedWidthTypes.Boolean}, []string{`[false,false,null,true,null]`}, g5, 3, `[false,true,null]`},
		{"min/date32", Spec{Func: "min"}, []arrow.DataType{arrow.FixedWidthTypes.Date32}, []string{`[19000,18000,null,1,2]`}, g5, 2, `[18000,1]`},
		{"max/timestamp", Spec{Func: "max"}, []arrow.DataType{tsMs}, []string{`[1000,3000,2000,null,null]`}, g5, 2, `[3000,null]`},
		{"max/decimal", Spec{Func: "max"}, []arrow.DataType{dec10_2}, []string{`["1.50","-2.25","1.49",null,"-0.01"]`}, g5, 2, `["1.50","-0.01"]`},
		{"min/decimal", Spec{Func: "min"}, []arrow.DataType{dec10_2}, []string{`["1.50","-2.25","1.49",null,"-0.01"]`}, g5, 2, `["-2.25","-0.01"]`},
		{"min/empty", Spec{Func: "min"}, []arrow.DataType{utf8}, []string{`[]`}, []uint32{}, 0, `[]`},
		{"var_samp", Spec{Func: "var_samp"}, []arrow.DataType{i64}, []string{`[1,2,3,4,5]`}, []uint32{0, 0, 0, 0, 1}, 3, `[1.6666666666666667,null,null]`},
		{"var_pop", Spec{Func: "var_pop"}, []arrow.DataType{i64}, []string{`[1,2,3,4,5]`}, []uint32{0, 0, 0, 0, 1}, 3, `[1.25,0,null]`},
		{"stddev_samp", Spec{Func: "stddev_samp"}, []arrow.DataType{f64}, []string{`[1,2,3,4,null]`}, []uint32{0, 0, 0, 0, 1}, 2, `[1.2909944487358056,null]`},
		{"stddev_pop", Spec{Func: "stddev_pop"}, []arrow.DataType{f64}, []string{`[1,2,3,4,null]`}, []uint32{0, 0, 0, 0, 1}, 2, `[1.118033988749895,null]`},
		{"var_samp/decimal", Spec{Func: "var_samp"}, []arrow.DataType{dec10_2}, []string{`["1.00","3.00"]`}, []uint32{0, 0}, 1, `[2]`},
		{"var_samp/empty", Spec{Func: "var_samp"}, []arrow.DataType{f64}, []string{`[]`}, []uint32{}, 0, `[]`},
		{"median/even", Spec{Func: "median"}, []arrow.DataType{i64}, []string{`[3,1,2,4,null]`}, []uint32{0, 0, 0, 0, 1}, 2, `[2.5,null]`},
		{"median/odd", Spec{Func: "median"}, []arrow.DataType{f64}, []string{`[1,null,3,2,5]`}, []uint32{0, 0, 0, 0, 1}, 3, `[2,5,null]`},
		{"quantile_cont/0.25", Spec{Func: "quantile_cont", Param: 0.25}, []arrow.DataType{i64}, []string{`[5,4,3,2,1]`}, []uint32{0, 0, 0, 0, 0}, 1, `[2]`},
		{"quantile_cont/0.9", Spec{Func: "quantile_cont", Param: 0.9}, []arrow.DataType{f64}, []string{`[4,1,3,2]`}, []uint32{0, 0, 0, 0}, 1, `[3.7]`},
		{"quantile_cont/0 and 1", Spec{Func: "quantile_cont", Param: 1}, []arrow.DataType{f64}, []string{`[4,1,3,2]`}, []uint32{0, 0, 1, 1}, 2, `[4,3]`},
		{"median/empty", Spec{Func: "median"}, []arrow.DataType{f64}, []string{`[]`}, []uint32{}, 0, `[]`},
		{"corr/perfect", Spec{Func: "corr"}, []arrow.DataType{f64, f64}, []string{`[1,2,3,4,1,2,3]`, `[2,4,6,8,8,6,4]`}, []uint32{0, 0, 0, 0, 1, 1, 1}, 2, `[1,-1]`},
		{"corr/nulls pairwise", Spec{Func: "corr"}, []arrow.DataType{i64, f64}, []string{`[1,null,2,3,100]`, `[1,5,null,2,null]`}, []uint32{0, 0, 0, 0, 0}, 1, `[1]`},
		{"corr/degenerate", Spec{Func: "corr"}, []arrow.DataType{f64, f64}, []string{`[1,5,5,7]`, `[1,2,3,4]`}, []uint32{0, 1, 1, 2}, 4, `[null,null,null,null]`},
		{"corr/general", Spec{Func: "corr"}, []arrow.DataType{f64, f64}, []string{`[1,2,3,4,5]`, `[2,1,4,3,5]`}, []uint32{0, 0, 0, 0, 0}, 1, `[0.8]`},
		{"corr/empty", Spec{Func: "corr"}, []arrow.DataType{f64, f64}, []string{`[]`, `[]`}, []uint32{}, 0, `[]`},
	}
}

// TestFunctions runs every case through one accumulator, through its state
// merged into a fresh one, and split in two accumulators merged together; utf8
// arguments also run dictionary-encoded (with short and long dictionaries).
func TestFunctions(t *testing.T) {
	for _, tc := range aggCases() {
		encodings := []int{-1}
		for _, ty := range tc.types {
			if ty.ID() == arrow.STRING {
				encodings = []int{-1, 0, 8}
			}
		}
		for _, enc := range encodings {
			name := tc.name
			switch enc {
			case 0:
				name += "/dict"
			case 8:
				name += "/long dict"
			}
			t.Run(name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
				defer mem.AssertSize(t, 0)
				f, err := New(tc.spec, tc.types)
				require.NoError(t, err)
				want := fromJSON(t, mem, f.Result(), tc.want)
				defer want.Release()
				var args []arrow.Array
				for i, js := range tc.args {
					a := fromJSON(t, mem, tc.types[i], js)
					if enc >= 0 && tc.types[i].ID() == arrow.STRING {
						d := toDict(t, mem, a, enc)
						a.Release()
						a = d
					}
					args = append(args, a)
				}
				defer releaseAll(args)

				one := f.NewAcc(mem)
				defer one.Release()
				require.NoError(t, one.Update(tc.groups, tc.n, args))
				got, err := one.Final(mem)
				require.NoError(t, err)
				defer got.Release()
				require.Truef(t, arrow.TypeEqual(f.Result(), got.DataType()), "%s vs %s", f.Result(), got.DataType())
				requireCells(t, cells(want), cells(got), "one accumulator")

				merged := f.NewAcc(mem)
				defer merged.Release()
				mergeInto(t, mem, f, one, merged, nil, tc.n)
				requireCells(t, cells(want), final(t, mem, merged), "state merged")

				half := len(tc.groups) / 2
				parts := []Acc{f.NewAcc(mem), f.NewAcc(mem)}
				both := f.NewAcc(mem)
				defer both.Release()
				for p, rng := range [][2]int{{0, half}, {half, len(tc.groups)}} {
					defer parts[p].Release()
					var sl []arrow.Array
					for _, a := range args {
						sl = append(sl, array.NewSlice(a, int64(rng[0]), int64(rng[1])))
					}
					err := parts[p].Update(tc.groups[rng[0]:rng[1]], tc.n, sl)
					releaseAll(sl)
					require.NoError(t, err)
					mergeInto(t, mem, f, parts[p], both, nil, tc.n)
				}
				requireCells(t, cells(want), final(t, mem, both), "split in two")
				require.Positive(t, one.Bytes()+1)
			})
		}
	}
}

func TestSumOverflow(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	cases := []struct {
		name string
		typ  arrow.DataType
		js   []string // one batch per accumulator, merged
	}{
		{"int64 one batch", i64, []string{`["9223372036854775807",1]`}},
		{"int64 negative", i64, []string{`["-9223372036854775808",-1]`}},
		{"int64 merged", i64, []string{`["9223372036854775807"]`, `["9223372036854775807"]`}},
		{"uint64", arrow.PrimitiveTypes.Uint64, []string{`["18446744073709551615"]`}},
		{"sum distinct", i64, []string{`["9223372036854775807",1,1]`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(Spec{Func: "sum", Distinct: tc.name == "sum distinct"}, []arrow.DataType{tc.typ})
			require.NoError(t, err)
			dst := f.NewAcc(mem)
			defer dst.Release()
			for _, js := range tc.js {
				a := fromJSON(t, mem, tc.typ, js)
				acc := f.NewAcc(mem)
				require.NoError(t, acc.Update(make([]uint32, a.Len()), 1, []arrow.Array{a}))
				a.Release()
				mergeInto(t, mem, f, acc, dst, nil, 1)
				acc.Release()
			}
			res, err := dst.Final(mem)
			if res != nil {
				res.Release()
			}
			require.ErrorIs(t, err, ErrOverflow)
			require.Contains(t, err.Error(), "sum(")
			require.Contains(t, err.Error(), "int64")
		})
	}
}

func TestDecimalSumOverflow(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dt := &arrow.Decimal128Type{Precision: 38, Scale: 0}
	f, err := New(Spec{Func: "sum"}, []arrow.DataType{dt})
	require.NoError(t, err)
	// 3 * 5e37 fits 128 bits but not 38 digits: Final fails.
	big := `"50000000000000000000000000000000000000"`
	a := fromJSON(t, mem, dt, `[`+big+`,`+big+`,`+big+`]`)
	defer a.Release()
	acc := f.NewAcc(mem)
	defer acc.Release()
	require.NoError(t, acc.Update([]uint32{0, 0, 0}, 1, []arrow.Array{a}))
	_, err = acc.Final(mem)
	require.ErrorIs(t, err, ErrOverflow)
	require.ErrorContains(t, err, "sum(decimal(38, 0)): the sum of group 0 exceeds 38 digits")
	// Four of them exceed 128 bits: Update fails.
	one := array.NewSlice(a, 0, 1)
	defer one.Release()
	require.ErrorIs(t, acc.Update([]uint32{0}, 1, []arrow.Array{one}), ErrOverflow)
}

func TestFloatSpecials(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	nan, inf := math.NaN(), math.Inf(1)
	b := array.NewFloat64Builder(mem)
	b.AppendValues([]float64{1, nan, 2, inf, 3, -inf, nan, nan, 0, math.Copysign(0, -1)}, nil)
	col := b.NewArray()
	b.Release()
	defer col.Release()
	groups := []uint32{0, 0, 0, 1, 1, 1, 2, 2, 3, 3}
	cases := []struct {
		spec Spec
		want []any
	}{
		{Spec{Func: "min"}, []any{1.0, -inf, nan, 0.0}},
		{Spec{Func: "max"}, []any{nan, inf, nan, 0.0}},
		{Spec{Func: "sum"}, []any{nan, nan, nan, 0.0}},
		{Spec{Func: "count", Distinct: true}, []any{int64(3), int64(3), int64(1), int64(1)}},
		{Spec{Func: "median"}, []any{2.0, 3.0, nan, 0.0}},
		{Spec{Func: "quantile_cont", Param: 0}, []any{1.0, -inf, nan, 0.0}},
	}
	for _, tc := range cases {
		t.Run(tc.spec.Func, func(t *testing.T) {
			f, err := New(tc.spec, []arrow.DataType{f64})
			require.NoError(t, err)
			acc := f.NewAcc(mem)
			defer acc.Release()
			require.NoError(t, acc.Update(groups, 4, []arrow.Array{col}))
			requireCells(t, tc.want, final(t, mem, acc))
		})
	}
	t.Run("sum inf", func(t *testing.T) {
		f, err := New(Spec{Func: "sum"}, []arrow.DataType{f64})
		require.NoError(t, err)
		acc := f.NewAcc(mem)
		defer acc.Release()
		sl := array.NewSlice(col, 2, 6)
		defer sl.Release()
		require.NoError(t, acc.Update([]uint32{0, 0, 1, 1}, 2, []arrow.Array{sl}))
		requireCells(t, []any{inf, inf}, final(t, mem, acc))
	})
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		args []arrow.DataType
		is   error
		msg  string
	}{
		{"sum utf8", Spec{Func: "sum"}, []arrow.DataType{utf8}, ErrType, "sum(utf8): sum needs a numeric argument"},
		{"avg dict", Spec{Func: "avg"}, []arrow.DataType{&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: utf8}}, ErrType, "avg(utf8): avg needs a numeric argument"},
		{"sum distinct utf8", Spec{Func: "sum", Distinct: true}, []arrow.DataType{utf8}, ErrType, "sum(DISTINCT utf8): sum needs a numeric argument"},
		{"var bool", Spec{Func: "var_samp"}, []arrow.DataType{arrow.FixedWidthTypes.Boolean}, ErrType, "var_samp(bool): var_samp needs a numeric argument"},
		{"median utf8", Spec{Func: "median"}, []arrow.DataType{utf8}, ErrType, "median(utf8): median needs a numeric argument"},
		{"corr utf8", Spec{Func: "corr"}, []arrow.DataType{f64, utf8}, ErrType, "corr(float64, utf8): corr needs numeric arguments, argument 2 is utf8"},
		{"min list", Spec{Func: "min"}, []arrow.DataType{arrow.ListOf(i64)}, ErrType, "min(list<item: int64, nullable>): min needs a number, bool, string, binary, date, timestamp or decimal argument"},
		{"count two args", Spec{Func: "count"}, []arrow.DataType{i64, i64}, ErrType, "count(int64, int64): count takes 1 argument, got 2"},
		{"count_star arg", Spec{Func: "count_star"}, []arrow.DataType{i64}, ErrType, "count_star(int64): count_star takes no arguments, got 1"},
		{"corr one arg", Spec{Func: "corr"}, []arrow.DataType{f64}, ErrType, "corr(float64): corr takes 2 arguments, got 1"},
		{"unknown", Spec{Func: "summ"}, []arrow.DataType{i64}, ErrUnknown, `unknown aggregate function "summ" (did you mean "sum"?)`},
		{"alias", Spec{Func: "mean"}, []arrow.DataType{i64}, ErrUnknown, `unknown aggregate function "mean" (did you mean "avg"?)`},
		{"quantile high", Spec{Func: "quantile_cont", Param: 1.5}, []arrow.DataType{f64}, ErrType, "quantile_cont(float64, 1.5): the quantile must be in [0, 1], got 1.5"},
		{"quantile nan", Spec{Func: "quantile_cont", Param: math.NaN()}, []arrow.DataType{f64}, ErrType, "quantile_cont(float64, NaN): the quantile must be in [0, 1], got NaN"},
		{"param on sum", Spec{Func: "sum", Param: 0.5}, []arrow.DataType{f64}, ErrType, "sum(float64): sum takes no parameter, got 0.5"},
		{"distinct var", Spec{Func: "var_pop", Distinct: true}, []arrow.DataType{f64}, ErrType, "var_pop(DISTINCT float64): var_pop does not take DISTINCT"},
		{"nil type", Spec{Func: "count"}, []arrow.DataType{nil}, ErrType, "count(?): argument 1 has no type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(tc.spec, tc.args)
			require.Nil(t, f)
			require.ErrorIs(t, err, tc.is)
			require.EqualError(t, err, tc.msg)
		})
	}
	_, err := New(Spec{Func: "zzzzzzzzzz"}, nil)
	require.ErrorContains(t, err, "supported: avg, corr, count")
}

func TestBadInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	ints := fromJSON(t, mem, i64, `[1,2,3]`)
	defer ints.Release()
	strs := fromJSON(t, mem, utf8, `["a","b","c"]`)
	defer strs.Release()
	for _, name := range Names() {
		spec := Spec{Func: name}
		if name == "quantile_cont" {
			spec.Param = 0.5
		}
		types := []arrow.DataType{i64}
		args := []arrow.Array{ints}
		switch name {
		case "count_star":
			types, args = nil, nil
		case "corr":
			types, args = []arrow.DataType{i64, i64}, []arrow.Array{ints, ints}
		}
		t.Run(name, func(t *testing.T) {
			f, err := New(spec, types)
			require.NoError(t, err)
			acc := f.NewAcc(mem)
			defer acc.Release()
			require.ErrorIs(t, acc.Update([]uint32{0, 1, 5}, 2, args), ErrType, "group id out of range")
			if len(args) > 0 {
				require.ErrorIs(t, acc.Update([]uint32{0, 1}, 2, args), ErrType, "row count mismatch")
				bad := make([]arrow.Array, len(args))
				for i := range bad {
					bad[i] = strs
				}
				require.ErrorIs(t, acc.Update([]uint32{0, 1, 1}, 2, bad), ErrType, "argument type")
				require.ErrorIs(t, acc.Update([]uint32{0, 1, 1}, 2, append(args, ints)), ErrType, "argument count")
			}
			require.ErrorIs(t, acc.Update([]uint32{0, 1, 1}, -1, args), ErrType, "negative n")
			require.ErrorIs(t, acc.Merge([]uint32{0, 1, 1}, 2, []arrow.Array{strs, strs, strs, strs, strs, strs, strs}), ErrType, "state count")
			st, err := acc.State(mem)
			require.NoError(t, err)
			wrong := make([]arrow.Array, len(st))
			for i := range wrong {
				wrong[i] = strs
			}
			require.ErrorIs(t, acc.Merge([]uint32{0, 1, 1}, 2, wrong), ErrType, "state types")
			require.ErrorIs(t, acc.Merge([]uint32{9}, 2, st), ErrType, "state rows")
			releaseAll(st)
		})
	}
}

func TestMergeBadGroup(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	ints := fromJSON(t, mem, i64, `[1,2]`)
	defer ints.Release()
	for _, name := range Names() {
		spec := Spec{Func: name}
		types, args := []arrow.DataType{i64}, []arrow.Array{ints}
		switch name {
		case "count_star":
			types, args = nil, nil
		case "corr":
			types, args = []arrow.DataType{i64, i64}, []arrow.Array{ints, ints}
		}
		for _, distinct := range []bool{false, true} {
			spec.Distinct = distinct
			f, err := New(spec, types)
			if distinct && err != nil {
				continue
			}
			require.NoError(t, err)
			t.Run(f.(*fn).c.String(), func(t *testing.T) {
				src := f.NewAcc(mem)
				defer src.Release()
				require.NoError(t, src.Update([]uint32{0, 1}, 2, args))
				st, err := src.State(mem)
				require.NoError(t, err)
				defer releaseAll(st)
				dst := f.NewAcc(mem)
				defer dst.Release()
				err = dst.Merge([]uint32{0, 7}, 3, st)
				require.ErrorIs(t, err, ErrType)
				require.ErrorContains(t, err, "group id 7 out of range")
			})
		}
	}
}

func TestStateWithNulls(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	f, err := New(Spec{Func: "sum"}, []arrow.DataType{i64})
	require.NoError(t, err)
	acc := f.NewAcc(mem)
	defer acc.Release()
	s := fromJSON(t, mem, f.State()[0], `[null]`)
	defer s.Release()
	c := fromJSON(t, mem, i64, `[1]`)
	defer c.Release()
	require.ErrorContains(t, acc.Merge([]uint32{0}, 1, []arrow.Array{s, c}), "state column 1 has NULLs")
}

func TestSpecJSON(t *testing.T) {
	for _, spec := range []Spec{
		{Func: "count_star"},
		{Func: "count", Distinct: true},
		{Func: "quantile_cont", Param: 0.9},
	} {
		b, err := json.Marshal(spec)
		require.NoError(t, err)
		var back Spec
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, spec, back, string(b))
	}
	b, err := json.Marshal(Spec{Func: "sum"})
	require.NoError(t, err)
	require.JSONEq(t, `{"func":"sum"}`, string(b))
}

func TestNames(t *testing.T) {
	names := Names()
	require.Contains(t, names, "count_star")
	require.Contains(t, names, "corr")
	require.IsIncreasing(t, names)
	for _, name := range names {
		_, err := New(Spec{Func: name}, nil)
		require.False(t, errors.Is(err, ErrUnknown), name)
	}
}

// TestDictionaryEdges: int8 indices, a NULL inside the dictionary, a sliced
// dictionary array.
func TestDictionaryEdges(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dict := fromJSON(t, mem, utf8, `["b",null,"a","zz"]`)
	defer dict.Release()
	idx := fromJSON(t, mem, arrow.PrimitiveTypes.Int8, `[3,0,1,2,null,0,1,3]`)
	defer idx.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: utf8}
	full := array.NewDictionaryArray(dt, idx, dict)
	defer full.Release()
	col := array.NewSlice(full, 1, 8) // b, NULL(dict), a, NULL, b, NULL(dict), zz
	defer col.Release()
	groups := []uint32{0, 0, 0, 1, 1, 1, 2}
	cases := []struct {
		spec Spec
		want []any
	}{
		{Spec{Func: "count"}, []any{int64(2), int64(1), int64(1)}},
		{Spec{Func: "min"}, []any{"a", "b", "zz"}},
		{Spec{Func: "max"}, []any{"b", "b", "zz"}},
		{Spec{Func: "count", Distinct: true}, []any{int64(2), int64(1), int64(1)}},
	}
	for _, tc := range cases {
		t.Run(tc.spec.Func, func(t *testing.T) {
			f, err := New(tc.spec, []arrow.DataType{dt})
			require.NoError(t, err)
			acc := f.NewAcc(mem)
			defer acc.Release()
			require.NoError(t, acc.Update(groups, 3, []arrow.Array{col}))
			requireCells(t, tc.want, final(t, mem, acc))
			require.Positive(t, acc.Bytes())
		})
	}
	t.Run("index out of range", func(t *testing.T) {
		bad := fromJSON(t, mem, arrow.PrimitiveTypes.Int8, `[0,9]`)
		defer bad.Release()
		arr := array.NewDictionaryArray(dt, bad, dict)
		defer arr.Release()
		for _, spec := range []Spec{{Func: "min"}, {Func: "count", Distinct: true}} {
			f, err := New(spec, []arrow.DataType{utf8})
			require.NoError(t, err)
			acc := f.NewAcc(mem)
			err = acc.Update([]uint32{0, 0}, 1, []arrow.Array{arr})
			acc.Release()
			require.ErrorContains(t, err, "dictionary index 9 out of range")
		}
	})
}

// TestListStateNulls: NULL lists and NULL elements in a holistic state are
// skipped by Merge.
func TestListStateNulls(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		spec  Spec
		typ   arrow.DataType
		state string
		want  []any
	}{
		{Spec{Func: "median"}, f64, `[[1,null,3],null,[],[5]]`, []any{2.0, nil, nil, 5.0}},
		{Spec{Func: "count", Distinct: true}, utf8, `[["a",null,"b","a"],null,[],["c"]]`, []any{int64(2), int64(0), int64(0), int64(1)}},
		{Spec{Func: "sum", Distinct: true}, i64, `[[1,null,2,1],null,[],[5]]`, []any{int64(3), nil, nil, int64(5)}},
	} {
		t.Run(tc.spec.Func, func(t *testing.T) {
			f, err := New(tc.spec, []arrow.DataType{tc.typ})
			require.NoError(t, err)
			st := fromJSON(t, mem, f.State()[0], tc.state)
			defer st.Release()
			acc := f.NewAcc(mem)
			defer acc.Release()
			require.NoError(t, acc.Merge([]uint32{0, 1, 2, 3}, 4, []arrow.Array{st}))
			requireCells(t, tc.want, final(t, mem, acc))
		})
	}
}

// TestTypes runs count(DISTINCT), min, max and var_pop over every supported
// type they take, through State and Merge.
func TestTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	num := []arrow.DataType{arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, i64,
		arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint16, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64,
		arrow.PrimitiveTypes.Float32, f64}
	other := []arrow.DataType{arrow.FixedWidthTypes.Date32, tsMs, arrow.BinaryTypes.Binary, utf8}
	for _, dt := range append(num, other...) {
		js, lo, hi := `[3,1,3,null,2]`, any(int64(1)), any(int64(3))
		switch dt.ID() {
		case arrow.BINARY:
			js, lo, hi = `["Yw==","YQ==","Yw==",null,"Yg=="]`, "a", "c"
		case arrow.STRING:
			js, lo, hi = `["c","a","c",null,"b"]`, "a", "c"
		case arrow.FLOAT32, arrow.FLOAT64:
			lo, hi = 1.0, 3.0
		}
		t.Run(dt.String(), func(t *testing.T) {
			col := fromJSON(t, mem, dt, js)
			defer col.Release()
			specs := map[Spec][]any{
				{Func: "count", Distinct: true}: {int64(3)},
				{Func: "min"}:                   {lo},
				{Func: "max"}:                   {hi},
			}
			if isNumeric(dt) {
				specs[Spec{Func: "var_pop"}] = []any{0.6875}
				specs[Spec{Func: "sum", Distinct: true}] = []any{int64(6)}
				if isFloat(dt) {
					specs[Spec{Func: "sum", Distinct: true}] = []any{6.0}
				}
			}
			for spec, want := range specs {
				f, err := New(spec, []arrow.DataType{dt})
				require.NoError(t, err)
				acc := f.NewAcc(mem)
				require.NoError(t, acc.Update(make([]uint32, 5), 1, []arrow.Array{col}))
				dst := f.NewAcc(mem)
				mergeInto(t, mem, f, acc, dst, nil, 1)
				requireCells(t, want, final(t, mem, dst), spec)
				acc.Release()
				dst.Release()
			}
		})
	}
}

// TestMinMaxArena: many growing replacements compact the string arena
// without disturbing other groups.
func TestMinMaxArena(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	b := array.NewStringBuilder(mem)
	var groups []uint32
	for k := 1; k <= 500; k++ {
		b.Append(strings.Repeat("a", k) + "b") // each smaller and longer than the last
		groups = append(groups, 0)
		b.Append(strings.Repeat("z", k%7+1))
		groups = append(groups, 1)
	}
	col := b.NewArray()
	b.Release()
	defer col.Release()
	f, err := New(Spec{Func: "min"}, []arrow.DataType{utf8})
	require.NoError(t, err)
	acc := f.NewAcc(mem)
	defer acc.Release()
	for lo := 0; lo < col.Len(); lo += 100 {
		sl := array.NewSlice(col, int64(lo), int64(lo+100))
		require.NoError(t, acc.Update(groups[lo:lo+100], 2, []arrow.Array{sl}))
		sl.Release()
	}
	require.Less(t, acc.Bytes(), int64(200_000), "arena compacted")
	requireCells(t, []any{strings.Repeat("a", 500) + "b", "z"}, final(t, mem, acc))
}

// TestSelectK checks introselect against sorting, with many duplicates.
func TestSelectK(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 15, 16, 17, 100, 1000} {
		for _, distinct := range []int{1, 3, 1000} {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(r.IntN(distinct))
			}
			sorted := slices.Clone(v)
			slices.Sort(sorted)
			for _, k := range []int{0, n / 2, n - 1, r.IntN(n)} {
				w := slices.Clone(v)
				selectK(w, k)
				require.Equal(t, sorted[k], w[k], "n=%d distinct=%d k=%d", n, distinct, k)
				require.LessOrEqual(t, slices.Max(w[:k+1]), w[k])
				require.GreaterOrEqual(t, slices.Min(w[k:]), w[k])
			}
		}
	}
}
