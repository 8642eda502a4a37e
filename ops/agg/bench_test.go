package agg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

const benchRows = 64 << 10

type benchCase struct {
	name  string
	spec  Spec
	cols  []string // "i64", "f64", "dec", "str", "dict"
	reset bool     // holistic: state grows with every Update
}

func benchCases() []benchCase {
	return []benchCase{
		{"count_star", Spec{Func: "count_star"}, nil, false},
		{"count", Spec{Func: "count"}, []string{"f64"}, false},
		{"sum_int64", Spec{Func: "sum"}, []string{"i64"}, false},
		{"sum_float64", Spec{Func: "sum"}, []string{"f64"}, false},
		{"sum_decimal", Spec{Func: "sum"}, []string{"dec"}, false},
		{"avg_float64", Spec{Func: "avg"}, []string{"f64"}, false},
		{"min_int64", Spec{Func: "min"}, []string{"i64"}, false},
		{"max_float64", Spec{Func: "max"}, []string{"f64"}, false},
		{"min_utf8", Spec{Func: "min"}, []string{"str"}, false},
		{"max_dict", Spec{Func: "max"}, []string{"dict"}, false},
		{"var_samp", Spec{Func: "var_samp"}, []string{"f64"}, false},
		{"stddev_samp", Spec{Func: "stddev_samp"}, []string{"f64"}, false},
		{"corr", Spec{Func: "corr"}, []string{"f64", "f64"}, false},
		{"median", Spec{Func: "median"}, []string{"f64"}, true},
		{"quantile_cont", Spec{Func: "quantile_cont", Param: 0.9}, []string{"f64"}, true},
		{"count_distinct_int64", Spec{Func: "count", Distinct: true}, []string{"i64"}, true},
		{"count_distinct_dict", Spec{Func: "count", Distinct: true}, []string{"dict"}, true},
	}
}

func benchColumns(b *testing.B, mem memory.Allocator, r *rand.Rand, kinds []string) ([]arrow.DataType, []arrow.Array) {
	var types []arrow.DataType
	var cols []arrow.Array
	for _, k := range kinds {
		var a arrow.Array
		switch k {
		case "i64":
			bl := array.NewInt64Builder(mem)
			for i := 0; i < benchRows; i++ {
				bl.Append(int64(r.IntN(100)))
			}
			a = bl.NewArray()
			bl.Release()
		case "f64":
			bl := array.NewFloat64Builder(mem)
			for i := 0; i < benchRows; i++ {
				bl.Append(r.Float64() * 100)
			}
			a = bl.NewArray()
			bl.Release()
		case "dec":
			bl := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 12, Scale: 2})
			for i := 0; i < benchRows; i++ {
				bl.Append(decimal128.FromI64(int64(r.IntN(1_000_000))))
			}
			a = bl.NewArray()
			bl.Release()
		case "str", "dict":
			bl := array.NewStringBuilder(mem)
			for i := 0; i < benchRows; i++ {
				bl.Append(fmt.Sprintf("id%03d", r.IntN(100)))
			}
			a = bl.NewArray()
			bl.Release()
			if k == "dict" {
				d := toDict(b, mem, a, 0)
				a.Release()
				a = d
			}
		}
		types = append(types, a.DataType())
		cols = append(cols, a)
	}
	return types, cols
}

func BenchmarkUpdate(b *testing.B) {
	for _, bc := range benchCases() {
		for _, ng := range []int{100, 100_000} {
			b.Run(fmt.Sprintf("%s/groups=%d", bc.name, ng), func(b *testing.B) {
				mem := memory.NewGoAllocator()
				r := rand.New(rand.NewPCG(1, 2))
				types, cols := benchColumns(b, mem, r, bc.cols)
				defer releaseAll(cols)
				if len(cols) == 0 {
					cols = nil
				}
				groups := make([]uint32, benchRows)
				for i := range groups {
					groups[i] = uint32(r.IntN(ng))
				}
				f, err := New(bc.spec, types)
				require.NoError(b, err)
				acc := f.NewAcc(mem)
				require.NoError(b, acc.Update(groups, ng, cols))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if bc.reset && i%16 == 15 {
						b.StopTimer()
						acc.Release()
						acc = f.NewAcc(mem)
						b.StartTimer()
					}
					if err := acc.Update(groups, ng, cols); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				acc.Release()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
			})
		}
	}
}

// BenchmarkMerge merges the state of 1e5 groups (64Ki rows) into an
// accumulator, as the final phase does.
func BenchmarkMerge(b *testing.B) {
	const ng = 100_000
	for _, bc := range benchCases() {
		b.Run(bc.name, func(b *testing.B) {
			mem := memory.NewGoAllocator()
			r := rand.New(rand.NewPCG(1, 2))
			types, cols := benchColumns(b, mem, r, bc.cols)
			defer releaseAll(cols)
			groups := make([]uint32, benchRows)
			for i := range groups {
				groups[i] = uint32(r.IntN(ng))
			}
			f, err := New(bc.spec, types)
			require.NoError(b, err)
			src := f.NewAcc(mem)
			require.NoError(b, src.Update(groups, ng, cols))
			st, err := src.State(mem)
			require.NoError(b, err)
			src.Release()
			defer releaseAll(st)
			ids := make([]uint32, ng)
			for i, p := range r.Perm(ng) {
				ids[i] = uint32(p)
			}
			acc := f.NewAcc(mem)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if bc.reset && i%16 == 15 {
					b.StopTimer()
					acc.Release()
					acc = f.NewAcc(mem)
					b.StartTimer()
				}
				if err := acc.Merge(ids, ng, st); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			acc.Release()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ng, "ns/group")
		})
	}
}

// BenchmarkFinal computes results for 1e5 groups.
func BenchmarkFinal(b *testing.B) {
	const ng = 100_000
	for _, bc := range benchCases() {
		b.Run(bc.name, func(b *testing.B) {
			mem := memory.NewGoAllocator()
			r := rand.New(rand.NewPCG(1, 2))
			types, cols := benchColumns(b, mem, r, bc.cols)
			defer releaseAll(cols)
			groups := make([]uint32, benchRows)
			for i := range groups {
				groups[i] = uint32(r.IntN(ng))
			}
			f, err := New(bc.spec, types)
			require.NoError(b, err)
			acc := f.NewAcc(mem)
			defer acc.Release()
			require.NoError(b, acc.Update(groups, ng, cols))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := acc.Final(mem)
				if err != nil {
					b.Fatal(err)
				}
				res.Release()
			}
		})
	}
}
